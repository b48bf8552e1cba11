import { ChasmError, ErrorCode, InvalidArgumentError, withFields, type MutableContext } from '@chasm/core';
import { randomUUID } from 'node:crypto';
import { checkCommandLimits } from './command-limits.js';
import { checkCommandSearchAttributes, type CompletionSearchAttributes } from './command-search-attributes.js';
import { enforceHistoryLimits, historyMark, type HistoryWarn } from './history-limits.js';
import { enforceStateSizeLimit } from './state-size-limit.js';
import { BadCommandError, requestCancelActivity, scheduleActivity, startActivity } from '../activity/activity-state-machine.js';
import { event } from '../history/events.js';
import { durationToMs, long, msToDuration } from '@chasm/matching';
import { CommandType, Enums, HistoryEventMsg, type temporal } from '../proto.js';
import { applyExternalCommand, continueAsNew, failWorkflow } from './close-commands.js';
import { checkDuration, checkId } from '../grpc/validate.js';
import { DEFAULT_WORKFLOW_CONFIG, type WorkflowConfig } from '../config.js';
import { HistoryWriter } from './history-writer.js';
import { closeWorkflow, failWorkflowTask, lateScheduledEvent, lateStartedEvent, scheduleWorkflowTask } from './mutable-state.js';
import { upsertMemo, upsertSearchAttributes } from './search-attributes.js';
import { recordBuildId } from './build-ids.js';
import { workflowTaskNotFound, type WorkflowTaskToken } from './task-token.js';
import { TimerFire } from './workflow.tasks.js';
import type { WorkflowComponent } from './workflow.js';
import { cronNextRun } from './cron.js';
import { closeWithNextRun, type NextRun } from './next-run.js';
import { workflowExtensions, type CompletingTask, type ProtocolMessage } from './extensions.js';
import { recordResetPoint } from './reset-points.js';
import { lostLazyStartMatches, restoreLostLazyStart } from './lazy-start.js';

type Request = temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest;
type Command = temporal.api.command.v1.ICommand;

const Cause = Enums.WorkflowTaskFailedCause;
const CLOSE_COMMANDS = new Set<number>([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

/** limit.maxIDLength (Temporal's default) for the ids commands carry. */

/** The failed cause of a command whose attributes are invalid (Temporal's `CommandAttrValidator`). */
const BAD_ATTRIBUTES = new Map<number, number>([
  [CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_START_TIMER, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_CANCEL_TIMER, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_RECORD_MARKER, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES],
  [
    CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
  ],
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES],
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES],
]);

/** What the handler does after the transaction committed. */
export interface CompletionOutcome {
  /** Returned to the worker after commit (UnhandledCommand, bad command). */
  readonly error?: ChasmError;
  /** Activities started eagerly in this transaction (request_eager_execution), for the response. */
  readonly activityTasks?: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse[];
}

/** At most this many eager activities per completion (core reserves a slot for each it asks for). */
const MAX_EAGER_ACTIVITIES = 10;

/** Throws unless the token names the started task of this run. */
export function checkTaskToken(wf: WorkflowComponent, token: WorkflowTaskToken): void {
  const s = wf.state;
  const t = s.wft;
  if (
    s.status !== 'running' ||
    !t ||
    t.stamp !== token.stamp ||
    t.startedEventId === 0 ||
    t.startedEventId !== token.startedEventId ||
    (token.startedTime !== undefined && t.startedTime !== token.startedTime)
  ) {
    throw workflowTaskNotFound();
  }
}

/**
 * The completion's precondition (UpdateOptions.precondition): refuses a stale token before the
 * transaction, so that it does not cost the run a start held in memory (ADR 0064).
 */
export function checkCompletionToken(wf: WorkflowComponent, token: WorkflowTaskToken): void {
  if (!lostLazyStartMatches(wf, token)) checkTaskToken(wf, token);
}

/**
 * RespondWorkflowTaskCompleted: WorkflowTaskCompleted (with sdk_metadata verbatim), one event per
 * command in command order, then the buffered events, then the next task if one is needed.
 */
export function completeWorkflowTask(
  wf: WorkflowComponent,
  ctx: MutableContext,
  token: WorkflowTaskToken,
  req: Request,
  config: WorkflowConfig = DEFAULT_WORKFLOW_CONFIG,
  prepared: ReadonlyMap<string, unknown> = NOTHING_PREPARED,
  warn?: HistoryWarn,
  searchAttributes?: CompletionSearchAttributes,
): CompletionOutcome {
  restoreLostLazyStart(wf, ctx, token, req.identity ?? '');
  checkTaskToken(wf, token);
  const s = wf.state;
  const t = s.wft!;
  const commands = req.commands ?? [];
  const closeIndex = commands.findIndex((c) => CLOSE_COMMANDS.has(c.commandType ?? 0));
  if (closeIndex >= 0 && closeIndex !== commands.length - 1) {
    throw new InvalidArgumentError('commands', 'invalid command sequence: close command is not the last one');
  }
  const mark = historyMark(wf);
  const w = new HistoryWriter(wf, ctx);
  const identity = req.identity ?? '';
  if (closeIndex >= 0 && s.buffered.length > 0) {
    // New events arrived while the worker decided to close: it must see them first.
    failWorkflowTask(w, Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, null, identity);
    w.commit();
    return { error: new ChasmError(ErrorCode.InvalidArgument, 'UnhandledCommand') };
  }
  if (t.transient) {
    // The transient attempt succeeded: persist the Scheduled/Started the worker was shown.
    w.append(lateScheduledEvent(s, t));
    w.append(lateStartedEvent(s, t, t.scheduledEventId));
  }
  const completedId = w.append(
    event('workflowTaskCompletedEventAttributes', {
      scheduledEventId: long(t.scheduledEventId),
      startedEventId: long(t.startedEventId),
      identity,
      binaryChecksum: req.binaryChecksum ?? '',
      ...(req.sdkMetadata ? { sdkMetadata: req.sdkMetadata } : {}),
      ...(req.meteringMetadata ? { meteringMetadata: req.meteringMetadata } : {}),
      ...(req.workerVersionStamp ? { workerVersion: req.workerVersionStamp } : {}),
    }),
  );
  recordResetPoint(s, { binaryChecksum: req.binaryChecksum ?? '', workerVersion: req.workerVersionStamp ?? null }, completedId, w.now);
  recordBuildId(s, req.workerVersionStamp);
  s.lastCompletedStartedEventId = t.startedEventId;
  s.wft = null;
  s.wftAttempt = 1;
  const sticky = req.stickyAttributes?.workerTaskQueue?.name;
  s.sticky = sticky ? { name: sticky, timeoutMs: durationToMs(req.stickyAttributes?.scheduleToStartTimeout, 'sticky_attributes.schedule_to_start_timeout') || 10_000 } : null;

  let needTask = req.forceCreateNewWorkflowTask === true;
  let nextRun: NextRun | undefined;
  const eager: number[] = [];
  const completing: CompletingTask = {
    stamp: t.stamp,
    startedEventId: t.startedEventId,
    completedEventId: completedId,
    identity,
    heartbeat: req.forceCreateNewWorkflowTask === true,
    prepared,
  };
  // Protocol messages (updates) are applied at their PROTOCOL_MESSAGE command's position, the
  // rest (rejections carry no command) after all commands, as Temporal's handleCommands does.
  const messages = new Map<string, ProtocolMessage>();
  for (const m of req.messages ?? []) messages.set(m.id ?? '', m);
  for (const cmd of commands) {
    if (cmd.commandType === CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) {
      const id = cmd.protocolMessageCommandAttributes?.messageId ?? '';
      const msg = messages.get(id);
      if (!msg) throw new BadCommandAbort(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, `ProtocolMessageCommand referenced absent message ID ${id}`);
      messages.delete(id);
      applyMessage(w, msg, completing);
      continue;
    }
    try {
      const before = s.nextEventId;
      checkCommandLimits(wf, cmd, config);
      checkCommandSearchAttributes(wf, cmd, searchAttributes, config);
      const r = applyCommand(w, cmd, completing, identity, config);
      const a = cmd.scheduleActivityTaskCommandAttributes;
      if (
        cmd.commandType === CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK &&
        a?.requestEagerExecution &&
        (!a.taskQueue?.name || a.taskQueue.name === s.taskQueue) &&
        eager.length < MAX_EAGER_ACTIVITIES
      ) {
        eager.push(before);
      }
      if (r === 'newTask') needTask = true;
      else if (r) nextRun = r;
    } catch (e) {
      if (e instanceof BadCommandError) throw new BadCommandAbort(e.failedCause, e.message, e.terminate);
      // A field the command carries is out of range (a Duration, an id): the task fails with the
      // command's cause, as Temporal's command validator answers, rather than being left to retry.
      const cause = BAD_ATTRIBUTES.get(cmd.commandType ?? 0);
      if (e instanceof InvalidArgumentError && cause !== undefined) throw new BadCommandAbort(cause, e.message);
      throw e;
    }
  }
  for (const msg of messages.values()) applyMessage(w, msg, completing);
  for (const ext of workflowExtensions()) ext.afterCompletion?.(w, completing);
  const activityTasks: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse[] = [];
  if (s.status === 'running') {
    if (w.flushBuffered()) needTask = true;
    for (const ext of workflowExtensions()) if (ext.needsWorkflowTask?.(wf)) needTask = true;
    if (needTask) scheduleWorkflowTask(w);
    // Eager activities start in this same transaction: no dispatch, no poll, one commit less.
    for (const id of eager) {
      const a = wf.fields.activities.get(String(id));
      if (!a) continue;
      const task = startActivity(a, ctx, ctx.ref(a), a.state.attempt, identity, randomUUID());
      if (task) activityTasks.push(task);
    }
  } else if (nextRun) {
    closeWithNextRun(w, nextRun);
  }
  w.commit();
  // Over an error limit the whole completion is rolled back and the handler terminates the run.
  enforceHistoryLimits(wf, mark, config, warn);
  enforceStateSizeLimit(wf, ctx, config, warn);
  return activityTasks.length > 0 ? { activityTasks } : {};
}

/** Hands a worker's protocol message to the extension that owns it; unknown messages are ignored. */
function applyMessage(w: HistoryWriter, msg: ProtocolMessage, task: CompletingTask): void {
  try {
    for (const ext of workflowExtensions()) if (ext.applyMessage?.(w, msg, task)) return;
  } catch (e) {
    if (e instanceof BadCommandError) throw new BadCommandAbort(e.failedCause, e.message, e.terminate);
    throw e;
  }
}

/** Rolls the completion back; the handler then fails the task with `cause` in a new transaction. */
export class BadCommandAbort extends Error {
  constructor(
    readonly failedCause: number,
    message: string,
    /** Terminate the run after failing the task (see BadCommandError). */
    readonly terminate = false,
  ) {
    super(message);
  }
}

const NOTHING_PREPARED: ReadonlyMap<string, unknown> = new Map();

/** Runs the extensions' `prepare` hooks for a completion (outside the transaction). */
export async function prepareCompletion(namespaceId: string, commands: readonly Command[]): Promise<ReadonlyMap<string, unknown>> {
  let out: Map<string, unknown> | undefined;
  for (const ext of workflowExtensions()) {
    if (!ext.prepare) continue;
    const r = await ext.prepare(namespaceId, commands);
    if (r !== undefined) (out ??= new Map()).set(ext.name, r);
  }
  return out ?? NOTHING_PREPARED;
}

function applyCommand(w: HistoryWriter, cmd: Command, task: CompletingTask, identity: string, config: WorkflowConfig): 'newTask' | NextRun | undefined {
  const s = w.wf.state;
  const completedId = task.completedEventId;
  const wtc = long(completedId);
  const withMeta = (ev: temporal.api.history.v1.IHistoryEvent): temporal.api.history.v1.IHistoryEvent =>
    cmd.userMetadata ? withFields(ev, { userMetadata: cmd.userMetadata }) : ev;
  switch (cmd.commandType) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      scheduleActivity(w, cmd.scheduleActivityTaskCommandAttributes ?? {}, completedId, cmd.userMetadata, config.maxIdLength);
      return undefined;
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
      const id = Number(cmd.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
      return requestCancelActivity(w, id, completedId) ? 'newTask' : undefined;
    }
    case CommandType.COMMAND_TYPE_START_TIMER: {
      const a = cmd.startTimerCommandAttributes ?? {};
      const timerId = a.timerId ?? '';
      if (!timerId) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'TimerId is not set.');
      checkId('timer_id', timerId, config.maxIdLength, { name: 'TimerId', tooLong: 'TimerId on StartTimerCommand exceeds length limit.' });
      if (s.timers[timerId]) throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, `Timer ${timerId} already exists.`);
      const ms = checkDuration('start_to_fire_timeout', a.startToFireTimeout, 'An invalid StartToFireTimeout is set on StartTimerCommand.');
      const startedEventId = w.append(
        withMeta(event('timerStartedEventAttributes', { timerId, startToFireTimeout: msToDuration(ms), workflowTaskCompletedEventId: wtc })),
      );
      const stamp = ++s.timerStamp;
      s.timers[timerId] = { startedEventId, fireAt: w.now + ms, stamp };
      w.ctx.addTask(w.wf, TimerFire, { timerId, stamp }, { at: new Date(w.now + ms) });
      return undefined;
    }
    case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
      const timerId = cmd.cancelTimerCommandAttributes?.timerId ?? '';
      const timer = s.timers[timerId];
      let startedEventId = timer?.startedEventId;
      if (!timer) {
        // It may have fired during this task: the buffered fire is replaced by the cancel.
        startedEventId = removeBufferedTimerFire(w, timerId);
        if (startedEventId === undefined) {
          throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, `Timer ${timerId} is not pending.`);
        }
      }
      delete s.timers[timerId];
      w.append(
        withMeta(
          event('timerCanceledEventAttributes', {
            timerId,
            startedEventId: long(startedEventId ?? 0),
            workflowTaskCompletedEventId: wtc,
            identity,
          }),
        ),
      );
      return undefined;
    }
    case CommandType.COMMAND_TYPE_RECORD_MARKER: {
      const a = cmd.recordMarkerCommandAttributes ?? {};
      w.append(
        withMeta(
          event('markerRecordedEventAttributes', {
            markerName: a.markerName ?? '',
            details: a.details ?? {},
            ...(a.header ? { header: a.header } : {}),
            ...(a.failure ? { failure: a.failure } : {}),
            workflowTaskCompletedEventId: wtc,
          }),
        ),
      );
      return undefined;
    }
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
      const sa = cmd.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes ?? {};
      w.append(withMeta(event('upsertWorkflowSearchAttributesEventAttributes', { searchAttributes: sa, workflowTaskCompletedEventId: wtc })));
      upsertSearchAttributes(s, sa);
      return undefined;
    }
    case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
      const memo = cmd.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo ?? {};
      w.append(withMeta(event('workflowPropertiesModifiedEventAttributes', { upsertedMemo: memo, workflowTaskCompletedEventId: wtc })));
      s.memo = upsertMemo(s.memo, memo);
      return undefined;
    }
    case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION: {
      const result = cmd.completeWorkflowExecutionCommandAttributes?.result;
      // A cron run completes as any run does, naming the chain's next run (Temporal writes
      // Completed with new_execution_run_id, not ContinuedAsNew).
      const next = cronNextRun(w, { result });
      w.append(
        withMeta(
          // Optional fields last: a literal that starts with a spread is slow to extend (ADR 0041).
          event('workflowExecutionCompletedEventAttributes', {
            workflowTaskCompletedEventId: wtc,
            ...(result ? { result } : {}),
            ...(next ? { newExecutionRunId: next.runId } : {}),
          }),
        ),
      );
      closeWorkflow(w, 'completed', next !== undefined);
      return next;
    }
    case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      return failWorkflow(w, cmd.failWorkflowExecutionCommandAttributes?.failure ?? null, completedId);
    case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION: {
      const details = cmd.cancelWorkflowExecutionCommandAttributes?.details;
      w.append(withMeta(event('workflowExecutionCanceledEventAttributes', { workflowTaskCompletedEventId: wtc, ...(details ? { details } : {}) })));
      closeWorkflow(w, 'canceled');
      return undefined;
    }
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      return continueAsNew(w, cmd.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId, config.maxIdLength);
    default:
      for (const ext of workflowExtensions()) {
        const r = ext.applyCommand?.(w, cmd, task);
        if (r === 'newTask') return 'newTask';
        if (r) return undefined;
      }
      return applyExternalCommand(w, cmd, completedId, config);
  }
}

function removeBufferedTimerFire(w: HistoryWriter, timerId: string): number | undefined {
  const s = w.wf.state;
  for (let i = 0; i < s.buffered.length; i++) {
    const ev = decodeBuffered(s.buffered[i]!.bytes);
    const a = ev.timerFiredEventAttributes;
    if (a && a.timerId === timerId) {
      s.buffered.splice(i, 1);
      return Number(a.startedEventId);
    }
  }
  return undefined;
}

const decodeBuffered = (b: Uint8Array): temporal.api.history.v1.HistoryEvent => HistoryEventMsg.decode(b);
