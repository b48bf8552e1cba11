import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type Context, type IdConflictPolicy, type IdReusePolicy, type MutableContext, type RpcCallContext } from '@chasm/core';
import type { WorkflowDeps } from '../workflow/deps.js';
import type { WorkflowConfig } from '../config.js';
import { msToDuration } from '@chasm/matching';
import { Enums, type temporal } from '../proto.js';
import {
  checkBlob,
  checkCompletionCallbacks,
  checkDuration,
  checkHeader,
  checkId,
  checkIdentity,
  checkIdPolicies,
  checkMemo,
  checkRequestId,
  checkRetryPolicy,
  checkTaskQueueName,
  type CallbackAdmission,
} from './validate.js';
import { checkCronSchedule } from '../workflow/cron.js';
import { initRunState, startRun, type RunSpec, type StartSignal } from '../workflow/start-run.js';
import type { WorkflowComponent, WorkflowState } from '../workflow/workflow.js';
import { checkPriority } from '../workflow/task-priority.js';

type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

export interface StartPolicies {
  readonly reusePolicy: IdReusePolicy;
  readonly conflictPolicy: IdConflictPolicy;
  /** TERMINATE_EXISTING (or the deprecated TERMINATE_IF_RUNNING reuse policy). */
  readonly terminateExisting: boolean;
}

const Reuse = Enums.WorkflowIdReusePolicy;
const Conflict = Enums.WorkflowIdConflictPolicy;

export function startPolicies(reuse: number | null | undefined, conflict: number | null | undefined): StartPolicies {
  let reusePolicy: IdReusePolicy = 'allowDuplicate';
  let terminateExisting = false;
  switch (reuse ?? 0) {
    case Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY:
      reusePolicy = 'allowDuplicateFailedOnly';
      break;
    case Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE:
      reusePolicy = 'rejectDuplicate';
      break;
    case Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING:
      terminateExisting = true;
      break;
  }
  let conflictPolicy: IdConflictPolicy = 'fail';
  if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) conflictPolicy = 'useExisting';
  if (conflict === Conflict.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) terminateExisting = true;
  return { reusePolicy, conflictPolicy, terminateExisting };
}

/** What a start arriving through `call` may attach as completion callbacks (internal ones: in-process calls only). */
export function callbackAdmission(deps: WorkflowDeps, call: RpcCallContext): CallbackAdmission {
  return { internal: call.internal === true, delivery: deps.delivery, max: deps.config.maxCallbacksPerWorkflow };
}

/**
 * Validates a start (or signal-with-start) request as Temporal's frontend and history services do
 * (`prepareStartWorkflowRequest`, `ValidateStartWorkflowExecutionRequest`), before anything is
 * stored, and applies the frontend defaults.
 */
export function runSpecOf(
  namespaceId: string,
  req: StartRequest,
  config: WorkflowConfig,
  signal?: StartSignal,
  callbacks?: CallbackAdmission,
): RunSpec {
  const max = config.maxIdLength;
  const workflowId = checkId('workflow_id', req.workflowId, max, { name: 'WorkflowId', notSet: 'WorkflowId is not set on request.' });
  checkRetryPolicy('retry_policy', req.retryPolicy);
  if (req.cronSchedule && req.workflowStartDelay) {
    throw new InvalidArgumentError('workflow_start_delay', 'CronSchedule and WorkflowStartDelay may not be used together.');
  }
  checkCronSchedule('cron_schedule', req.cronSchedule);
  const type = checkId('workflow_type', req.workflowType?.name, max, {
    name: 'WorkflowType',
    notSet: 'WorkflowType is not set on request.',
    tooLong: 'WorkflowType length exceeds limit.',
  });
  const queue = checkTaskQueueName('task_queue', req.taskQueue?.name, max);
  const exec = checkDuration('workflow_execution_timeout', req.workflowExecutionTimeout, 'An invalid WorkflowExecutionTimeoutSeconds is set on request.');
  let run = checkDuration('workflow_run_timeout', req.workflowRunTimeout, 'An invalid WorkflowRunTimeoutSeconds is set on request.');
  const taskTimeout = checkDuration('workflow_task_timeout', req.workflowTaskTimeout, 'An invalid WorkflowTaskTimeoutSeconds is set on request.');
  const delay = checkDuration('workflow_start_delay', req.workflowStartDelay, 'An invalid WorkflowStartDelaySeconds is set on request.');
  const requestId = checkRequestId('request_id', req.requestId, config);
  checkIdPolicies(req.workflowIdReusePolicy, req.workflowIdConflictPolicy);
  const identity = checkIdentity('identity', req.identity, config);
  checkBlob('input', req.input, config);
  checkMemo('memo', req.memo, config);
  checkHeader('header', req.header, config);
  checkPriority(req.priority, 'priority');
  const completionCallbacks = checkCompletionCallbacks('completion_callbacks', req.completionCallbacks, callbacks);
  if (run === 0 || (exec > 0 && run > exec)) run = exec;
  let task = taskTimeout || config.defaultWorkflowTaskTimeoutMs;
  task = Math.min(task, config.maxWorkflowTaskTimeoutMs);
  if (run > 0) task = Math.min(task, run);
  const started: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes = {
    workflowId,
    workflowType: { name: type },
    taskQueue: { name: queue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    ...(req.input ? { input: req.input } : {}),
    ...(exec > 0 ? { workflowExecutionTimeout: msToDuration(exec) } : {}),
    ...(run > 0 ? { workflowRunTimeout: msToDuration(run) } : {}),
    workflowTaskTimeout: msToDuration(task),
    identity,
    // Before the spreads: a named field after a spread takes V8's slow generic path (ADR 0041).
    attempt: 1,
    ...(req.retryPolicy ? { retryPolicy: req.retryPolicy } : {}),
    ...(req.cronSchedule ? { cronSchedule: req.cronSchedule } : {}),
    ...(req.memo ? { memo: req.memo } : {}),
    ...(req.searchAttributes ? { searchAttributes: req.searchAttributes } : {}),
    ...(req.header ? { header: req.header } : {}),
    ...(delay > 0 ? { firstWorkflowTaskBackoff: msToDuration(delay) } : {}),
    ...(req.priority ? { priority: req.priority } : {}),
    // A schedule passes its last result and failure on to the runs it starts (reference A.7).
    ...(req.lastCompletionResult?.payloads?.length ? { lastCompletionResult: req.lastCompletionResult } : {}),
    ...(req.continuedFailure ? { continuedFailure: req.continuedFailure } : {}),
    ...(completionCallbacks.length > 0 ? { completionCallbacks: completionCallbacks.map((c) => ({ nexus: { url: c.url, header: c.header } })) } : {}),
  };
  return {
    namespaceId,
    started,
    requestId: requestId || randomUUID(),
    ...(signal ? { signal } : {}),
    ...(req.userMetadata ? { userMetadata: req.userMetadata } : {}),
    // Links to the executions that caused this start (a Nexus caller's scheduled event), kept on
    // WorkflowExecutionStarted as Temporal does: the handler side of "linked both ways".
    ...(req.links?.length ? { links: req.links.slice(0, MAX_LINKS) } : {}),
  };
}

/** Temporal's frontend.maxLinksPerRequest default. */
const MAX_LINKS = 10;

/**
 * A validated StartWorkflowExecution request, ready for `engine.start` / `updateWithStart`:
 * for packages that start a run together with their own change (update-with-start).
 */
export interface WorkflowStartPlan {
  readonly workflowId: string;
  readonly requestId: string;
  readonly policies: StartPolicies;
  /** The new run's initial state (the engine's `init`). */
  init(ctx: Context): WorkflowState;
  /** WorkflowExecutionStarted and the first workflow task (the engine's `run`). */
  run(wf: WorkflowComponent, ctx: MutableContext): void;
}

export function planWorkflowStart(
  namespaceId: string,
  namespace: string,
  req: StartRequest,
  config: WorkflowConfig,
  callbacks?: CallbackAdmission,
): WorkflowStartPlan {
  const spec = runSpecOf(namespaceId, req, config, undefined, callbacks);
  return {
    workflowId: spec.started.workflowId ?? '',
    requestId: spec.requestId,
    policies: startPolicies(req.workflowIdReusePolicy, req.workflowIdConflictPolicy),
    init: (ctx) => initRunState(spec, ctx.key.runId, ctx.now.getTime()),
    run: (wf, ctx) => startRun(wf, ctx, spec, namespace),
  };
}
