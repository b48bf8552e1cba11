import { randomUUID } from 'node:crypto';
import { normaliseRetryPolicy } from '../activity/activity-state-machine.js';
import { BadCommandError } from '../activity/activity-state-machine.js';
import { event } from '../history/events.js';
import { decodeMessage, durationToMs, long, msToDuration } from '@chasm/matching';
import { api, Enums, type Failure, type temporal } from '../proto.js';
import type { HistoryWriter } from './history-writer.js';
import { closeWorkflow } from './mutable-state.js';
import type { NextRun } from './next-run.js';
import { carried, startedAttributes } from './run-chain.js';
import { checkCronSchedule, cronNextRun } from './cron.js';
import { applyChildCommand } from './child-tasks.js';
import type { WorkflowConfig } from '../config.js';
import { checkDuration, checkId, checkRetryPolicy, checkTaskQueueName } from '../grpc/validate.js';

/** limit.maxIDLength (Temporal's default). */

const RetryState = Enums.RetryState;
const Initiator = Enums.ContinueAsNewInitiator;

/**
 * FailWorkflowExecution: WorkflowExecutionFailed, and the next attempt when the retry policy allows
 * one; otherwise, for a cron workflow, the chain's next run (Temporal: retry first, then cron).
 */
export function failWorkflow(w: HistoryWriter, failure: Failure | null, completedId: number): NextRun | undefined {
  const s = w.wf.state;
  let retryState: number = RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET;
  let next: NextRun | undefined;
  const policy = decodeMessage(api.common.v1.RetryPolicy, s.retryPolicy);
  if (policy) {
    const r = normaliseRetryPolicy(policy);
    const info = failure?.applicationFailureInfo;
    const delayMs = Math.min(r.initialIntervalMs * Math.pow(r.backoffCoefficient, s.attempt - 1), r.maximumIntervalMs);
    if (info?.nonRetryable || (info?.type && r.nonRetryableErrorTypes.includes(info.type))) {
      retryState = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    } else if (r.maximumAttempts > 0 && s.attempt >= r.maximumAttempts) {
      retryState = RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    } else if (s.executionTimeoutMs > 0 && w.now + delayMs >= s.startTime + s.executionTimeoutMs) {
      retryState = RetryState.RETRY_STATE_TIMEOUT;
    } else {
      retryState = RetryState.RETRY_STATE_IN_PROGRESS;
      const prev = startedAttributes(w.wf);
      next = {
        runId: randomUUID(),
        started: {
          ...carried(w.wf, prev),
          attempt: s.attempt + 1,
          initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
          ...(failure ? { continuedFailure: failure } : {}),
          firstWorkflowTaskBackoff: msToDuration(delayMs),
        },
      };
    }
  }
  next ??= cronNextRun(w, { failure });
  w.append(
    event('workflowExecutionFailedEventAttributes', {
      ...(failure ? { failure } : {}),
      retryState,
      workflowTaskCompletedEventId: long(completedId),
      ...(next ? { newExecutionRunId: next.runId } : {}),
    }),
  );
  closeWorkflow(w, 'failed', next !== undefined);
  return next;
}

/** ContinueAsNewWorkflowExecution: closes this run and names the next one. */
export function continueAsNew(
  w: HistoryWriter,
  a: temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes,
  completedId: number,
  maxIdLength: number,
): NextRun {
  const s = w.wf.state;
  // Temporal's ValidateContinueAsNewWorkflowExecutionAttributes (a refusal fails the task with
  // BAD_CONTINUE_AS_NEW_ATTRIBUTES): the next run's type, queue, durations and retry policy.
  if (a.workflowType?.name) checkId('workflow_type', a.workflowType.name, maxIdLength, { name: 'WorkflowType' });
  if (a.taskQueue?.name) checkTaskQueueName('task_queue', a.taskQueue.name, maxIdLength);
  checkDuration('workflow_run_timeout', a.workflowRunTimeout, 'Invalid WorkflowRunTimeout on ContinueAsNewWorkflowExecutionCommand.');
  checkDuration('workflow_task_timeout', a.workflowTaskTimeout, 'Invalid WorkflowTaskTimeout on ContinueAsNewWorkflowExecutionCommand.');
  checkDuration('backoff_start_interval', a.backoffStartInterval, 'Invalid BackoffStartInterval on ContinueAsNewWorkflowExecutionCommand.');
  checkRetryPolicy('retry_policy', a.retryPolicy);
  checkCronSchedule('cron_schedule', a.cronSchedule);
  const prev = startedAttributes(w.wf);
  const runId = randomUUID();
  const workflowType = a.workflowType?.name ? a.workflowType : prev.workflowType;
  const taskQueue = a.taskQueue?.name ? a.taskQueue : prev.taskQueue;
  const runTimeout = durationToMs(a.workflowRunTimeout, 'workflow_run_timeout') > 0 ? a.workflowRunTimeout : prev.workflowRunTimeout;
  const taskTimeout = durationToMs(a.workflowTaskTimeout, 'workflow_task_timeout') > 0 ? a.workflowTaskTimeout! : msToDuration(s.wftTimeoutMs);
  const backoff = durationToMs(a.backoffStartInterval, 'backoff_start_interval');
  w.append(
    event('workflowExecutionContinuedAsNewEventAttributes', {
      newExecutionRunId: runId,
      ...(workflowType ? { workflowType } : {}),
      ...(taskQueue ? { taskQueue } : {}),
      ...(a.input ? { input: a.input } : {}),
      ...(runTimeout ? { workflowRunTimeout: runTimeout } : {}),
      workflowTaskTimeout: taskTimeout,
      workflowTaskCompletedEventId: long(completedId),
      ...(backoff > 0 ? { backoffStartInterval: msToDuration(backoff) } : {}),
      initiator: a.initiator || Initiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      ...(a.failure ? { failure: a.failure } : {}),
      ...(a.lastCompletionResult ? { lastCompletionResult: a.lastCompletionResult } : {}),
      ...(a.header ? { header: a.header } : {}),
      ...(a.memo ? { memo: a.memo } : {}),
      ...(a.searchAttributes ? { searchAttributes: a.searchAttributes } : {}),
    }),
  );
  closeWorkflow(w, 'continuedAsNew');
  const base = carried(w.wf, prev);
  return {
    runId,
    started: {
      ...base,
      workflowType: workflowType ?? null,
      taskQueue: taskQueue ?? null,
      input: a.input ?? null,
      header: a.header ?? base.header ?? null,
      workflowRunTimeout: runTimeout ?? null,
      workflowTaskTimeout: taskTimeout,
      retryPolicy: a.retryPolicy ?? base.retryPolicy ?? null,
      // Temporal takes the next run's cron schedule from the command, not from this run.
      cronSchedule: a.cronSchedule ?? '',
      memo: a.memo ?? base.memo ?? null,
      searchAttributes: a.searchAttributes ?? base.searchAttributes ?? null,
      attempt: 1,
      initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      ...(a.lastCompletionResult ? { lastCompletionResult: a.lastCompletionResult } : {}),
      ...(backoff > 0 ? { firstWorkflowTaskBackoff: msToDuration(backoff) } : {}),
    },
  };
}

/** Child workflows and external signals/cancels (see child-tasks.ts). */
export function applyExternalCommand(
  w: HistoryWriter,
  cmd: temporal.api.command.v1.ICommand,
  completedId: number,
  config?: WorkflowConfig,
): 'newTask' | undefined {
  const r = applyChildCommand(w, cmd, completedId, config);
  if (r === 'unsupported') {
    throw new BadCommandError(
      Enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
      `command ${Enums.CommandType[cmd.commandType ?? 0] ?? cmd.commandType} is not supported`,
    );
  }
  return r;
}
