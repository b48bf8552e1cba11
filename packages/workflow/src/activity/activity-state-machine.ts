import { asComponent, InvalidArgumentError, NotFoundError, type ComponentRef, type MutableContext, withFields } from '@chasm/core';
import { decodeMessage, durationToMs, encodeActivityToken, type ActivityTokenIds, encodeMessage, long, msToDuration, msToTimestamp, retryPolicyToProto } from '@chasm/matching';
import { event } from '../history/events.js';
import { api, Enums, type Failure, type HistoryEvent, type Payloads, type temporal } from '../proto.js';
import { checkDuration, checkId, checkRetryPolicy, checkTaskQueueName } from '../grpc/validate.js';
import { HistoryWriter } from '../workflow/history-writer.js';
import { scheduleWorkflowTask } from '../workflow/mutable-state.js';
import { Workflow, type WorkflowComponent } from '../workflow/workflow.js';
import { Activity, type ActivityComponent, type ActivityState, type RetryPolicySpec } from './activity.js';
import { ActivityTimeout, DispatchActivity } from './activity.tasks.js';
import { checkPriority, mergePriority, taskPriority } from '../workflow/task-priority.js';

export type ActivityTimeoutKind = 'scheduleToStart' | 'scheduleToClose' | 'startToClose' | 'heartbeat';

const Common = api.common.v1;
const FailureMsg = api.failure.v1.Failure;
const RetryState = Enums.RetryState;
const TimeoutType = Enums.TimeoutType;

/** A ScheduleActivityTask command was invalid: the workflow task fails with this cause. */
export class BadCommandError extends Error {
  constructor(
    readonly failedCause: number,
    message: string,
    /**
     * The failure is terminal to the run: the task fails with the cause and the run is terminated
     * with the message as reason (Temporal's `terminateWorkflow` for a command payload over
     * limit.blobSize.error, which a retried task would only send again).
     */
    readonly terminate = false,
  ) {
    super(message);
  }
}

/** limit.maxIDLength (Temporal's default) for activity ids, types and task queues. */

/** Runs front-door checks for a command: their INVALID_ARGUMENT becomes the command's failed cause. */
function asBadCommand<T>(cause: number, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new BadCommandError(cause, e.message);
    throw e;
  }
}

export interface ActivityTimeouts {
  readonly s2c: number;
  readonly s2s: number;
  readonly stc: number;
  readonly hb: number;
}

/**
 * Temporal's timeout rules for an activity of a run (`ValidateActivityScheduleAttributes`): the
 * run timeout caps them, schedule-to-close bounds the others, and one of schedule-to-close or
 * start-to-close must be set (undefined when neither is). Shared by ScheduleActivityTask and
 * UpdateActivityOptions.
 */
export function normaliseTimeouts(t: ActivityTimeouts, runTimeoutMs: number): ActivityTimeouts | undefined {
  const run = runTimeoutMs;
  let { s2c, s2s, stc } = t;
  const clamp = (v: number): number => (run > 0 && (v === 0 || v > run) ? run : v);
  if (s2c > 0) {
    s2c = clamp(s2c);
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    stc = stc > 0 ? Math.min(stc, s2c) : s2c;
  } else if (stc > 0) {
    s2c = run;
    s2s = s2s > 0 ? clamp(s2s) : run;
    stc = clamp(stc);
  } else {
    return undefined;
  }
  return { s2c, s2s, stc, hb: Math.min(t.hb, stc) };
}

/** Temporal's activity retry defaults: 1 s, x2, at most 100x the initial interval, unlimited. */
export function normaliseRetryPolicy(p: temporal.api.common.v1.IRetryPolicy | null | undefined): RetryPolicySpec {
  const initial = durationToMs(p?.initialInterval, 'retry_policy.initial_interval') || 1000;
  return {
    initialIntervalMs: initial,
    backoffCoefficient: p?.backoffCoefficient && p.backoffCoefficient >= 1 ? p.backoffCoefficient : 2,
    maximumIntervalMs: durationToMs(p?.maximumInterval, 'retry_policy.maximum_interval') || initial * 100,
    maximumAttempts: p?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: [...(p?.nonRetryableErrorTypes ?? [])],
  };
}

/** ScheduleActivityTask → ActivityTaskScheduled + the activity child + its dispatch. */
export function scheduleActivity(
  w: HistoryWriter,
  attrs: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes,
  completedEventId: number,
  userMetadata: temporal.api.sdk.v1.IUserMetadata | null | undefined,
  maxIdLength: number,
): void {
  const s = w.wf.state;
  const BAD = Enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES;
  if (!attrs.activityId) throw new BadCommandError(BAD, 'ActivityId is not set on ScheduleActivityTaskCommand.');
  if (!attrs.activityType?.name) throw new BadCommandError(BAD, 'ActivityType is not set on ScheduleActivityTaskCommand.');
  // Temporal's ValidateAndNormalizeActivityAttributes: the task fails with BAD_SCHEDULE_ACTIVITY_ATTRIBUTES.
  const timeouts = asBadCommand(BAD, () => {
    if (attrs.taskQueue?.name) checkTaskQueueName('task_queue', attrs.taskQueue.name, maxIdLength);
    checkRetryPolicy('retry_policy', attrs.retryPolicy);
    checkPriority(attrs.priority, 'priority');
    checkId('activity_id', attrs.activityId, maxIdLength, { name: 'ActivityId', tooLong: 'ActivityId exceeds length limit.' });
    checkId('activity_type', attrs.activityType?.name, maxIdLength, { name: 'ActivityType', tooLong: 'ActivityType exceeds length limit.' });
    return {
      s2c: checkDuration('schedule_to_close_timeout', attrs.scheduleToCloseTimeout, 'Invalid ScheduleToCloseTimeout.'),
      s2s: checkDuration('schedule_to_start_timeout', attrs.scheduleToStartTimeout, 'Invalid ScheduleToStartTimeout.'),
      stc: checkDuration('start_to_close_timeout', attrs.startToCloseTimeout, 'Invalid StartToCloseTimeout.'),
      hb: checkDuration('heartbeat_timeout', attrs.heartbeatTimeout, 'Invalid HeartbeatTimeout.'),
    };
  });
  for (const key of w.wf.fields.activities.keys()) {
    if (w.wf.fields.activities.get(key)?.state.activityId === attrs.activityId) {
      throw new BadCommandError(
        Enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
        `Activity with id ${attrs.activityId} already exists.`,
      );
    }
  }
  const normalised = normaliseTimeouts(timeouts, s.runTimeoutMs);
  if (!normalised) throw new BadCommandError(BAD, 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.');
  const { s2c, s2s, stc, hb } = normalised;
  const retry = normaliseRetryPolicy(attrs.retryPolicy);
  const taskQueue = attrs.taskQueue?.name || s.taskQueue;
  const ev: HistoryEvent = event('activityTaskScheduledEventAttributes', {
    activityId: attrs.activityId,
    activityType: attrs.activityType,
    taskQueue: { name: taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    ...(attrs.header ? { header: attrs.header } : {}),
    ...(attrs.input ? { input: attrs.input } : {}),
    scheduleToCloseTimeout: msToDuration(s2c),
    scheduleToStartTimeout: msToDuration(s2s),
    startToCloseTimeout: msToDuration(stc),
    heartbeatTimeout: msToDuration(hb),
    workflowTaskCompletedEventId: long(completedEventId),
    retryPolicy: retryPolicyToProto(retry),
    ...(attrs.priority ? { priority: attrs.priority } : {}),
  });
  if (userMetadata) ev.userMetadata = userMetadata;
  const scheduledEventId = w.append(ev);
  const now = w.now;
  const state = scheduledActivityState(
    {
      scheduledEventId,
      activityId: attrs.activityId,
      activityType: attrs.activityType.name,
      taskQueue,
      header: encodeMessage(Common.Header, attrs.header as temporal.api.common.v1.Header | null | undefined),
      input: encodeMessage(Common.Payloads, attrs.input as temporal.api.common.v1.Payloads | null | undefined),
      priority: encodeMessage(Common.Priority, attrs.priority as temporal.api.common.v1.Priority | null | undefined),
      scheduleToCloseMs: s2c,
      scheduleToStartMs: s2s,
      startToCloseMs: stc,
      heartbeatMs: hb,
      retry,
    },
    now,
  );
  // Matching gets the workflow's priority with the activity's own fields over it (Temporal's priorities.Merge).
  const dispatchPriority = mergePriority(s.priority, taskPriority(attrs.priority));
  if (dispatchPriority) state.dispatchPriority = dispatchPriority;
  const a = w.wf.fields.activities.create(String(scheduledEventId), state);
  armAttempt(a, w.ctx, now);
  armScheduleToClose(a, w.ctx);
}

/**
 * The schedule-to-close timer. It carries its deadline: UpdateActivityOptions re-arms it, and a
 * timer for an older deadline is then stale.
 */
export function armScheduleToClose(a: ActivityComponent, ctx: MutableContext): void {
  const s = a.state;
  if (s.scheduleToCloseMs <= 0) return;
  const deadline = s.scheduledTime + s.scheduleToCloseMs;
  ctx.addTask(a, ActivityTimeout, { kind: 'scheduleToClose', attempt: s.attempt, stamp: s.stamp, deadline }, { at: new Date(deadline) });
}

/** Start-to-close (with its deadline, see armScheduleToClose) and heartbeat timers of the running attempt. */
export function armRunningTimers(a: ActivityComponent, ctx: MutableContext): void {
  const s = a.state;
  const deadline = s.startedTime + s.startToCloseMs;
  ctx.addTask(a, ActivityTimeout, { kind: 'startToClose', attempt: s.attempt, stamp: s.stamp, deadline }, { at: new Date(deadline) });
  if (s.heartbeatMs > 0) {
    const from = Math.max(s.startedTime, s.lastHeartbeatTime);
    ctx.addTask(a, ActivityTimeout, { kind: 'heartbeat', attempt: s.attempt, stamp: s.stamp }, { at: new Date(from + s.heartbeatMs) });
  }
}

/**
 * Dispatches the current attempt at `at` and arms its schedule-to-start timeout. Both carry the
 * stamp: pausing, resetting or updating a scheduled activity bumps it, which makes them stale.
 */
export function armAttempt(a: ActivityComponent, ctx: MutableContext, at: number): void {
  const s = a.state;
  ctx.addTask(a, DispatchActivity, { attempt: s.attempt, taskQueue: s.taskQueue, stamp: s.stamp, ...(s.dispatchPriority ? { priority: s.dispatchPriority } : {}) }, at > ctx.now.getTime() ? { at: new Date(at) } : {});
  // Schedule-to-close 0 means unlimited (start-to-close set, no run timeout): the timer is needed then too.
  if (s.scheduleToStartMs > 0 && (s.scheduleToCloseMs === 0 || s.scheduleToStartMs < s.scheduleToCloseMs)) {
    ctx.addTask(a, ActivityTimeout, { kind: 'scheduleToStart', attempt: s.attempt, stamp: s.stamp }, { at: new Date(at + s.scheduleToStartMs) });
  }
}

function workflowOf(a: ActivityComponent): WorkflowComponent {
  return asComponent(a.parent()!, Workflow);
}

/** A poller took the attempt: mark it started and build the poll response. */
export function startActivity(
  a: ActivityComponent,
  ctx: MutableContext,
  ref: ComponentRef,
  attempt: number,
  identity: string,
  requestId: string,
  taskQueue?: string,
): temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined {
  const s = a.state;
  const wf = workflowOf(a);
  if (wf.state.status !== 'running' || s.attempt !== attempt || s.status !== 'scheduled') return undefined;
  // A task matched before a pause, or on the queue UpdateActivityOptions moved it away from, is stale.
  if (s.paused || (taskQueue !== undefined && taskQueue !== s.taskQueue)) return undefined;
  const now = ctx.now.getTime();
  s.status = 'started';
  s.startedTime = now;
  s.startedIdentity = identity;
  s.startedRequestId = requestId;
  s.stamp++;
  armRunningTimers(a, ctx);
  const ws = wf.state;
  return {
    taskToken: activityTaskToken(ref, attempt, {
      workflowId: ws.workflowId,
      runId: ws.runId,
      scheduledEventId: s.scheduledEventId,
      activityId: s.activityId,
      workflowType: ws.workflowType,
      activityType: s.activityType,
    }),
    workflowNamespace: ws.namespace,
    workflowType: { name: ws.workflowType },
    workflowExecution: { workflowId: ws.workflowId, runId: ws.runId },
    activityType: { name: s.activityType },
    activityId: s.activityId,
    header: decodeMessage(Common.Header, s.header),
    input: decodeMessage(Common.Payloads, s.input),
    heartbeatDetails: decodeMessage(Common.Payloads, s.heartbeatDetails),
    scheduledTime: msToTimestamp(s.scheduledTime),
    currentAttemptScheduledTime: msToTimestamp(s.currentAttemptScheduledTime),
    startedTime: msToTimestamp(now),
    attempt,
    scheduleToCloseTimeout: msToDuration(s.scheduleToCloseMs),
    startToCloseTimeout: msToDuration(s.startToCloseMs),
    heartbeatTimeout: msToDuration(s.heartbeatMs),
    retryPolicy: retryPolicyToProto(s.retry),
    priority: decodeMessage(Common.Priority, s.priority),
  };
}

/**
 * The task token of an attempt: Temporal's `token.v1.Task` naming the activity by its ids, with
 * the contract's 'ref' form (the activity's ref, the attempt in its task-id slot) in `component_ref`.
 */
export function activityTaskToken(ref: ComponentRef, attempt: number, ids: ActivityTokenIds): Uint8Array {
  return encodeActivityToken({ ref, attempt, stamp: 0, ids }, 'ref');
}

/** The activity a token names, if it is still on the attempt the token was issued for. */
export function checkAttempt(a: ActivityComponent, attempt: number): void {
  const wf = workflowOf(a);
  if (wf.state.status !== 'running') throw new NotFoundError('workflow execution already completed');
  if (a.state.attempt !== attempt || a.state.status !== 'started') throw new NotFoundError('activity task not found');
}

/** Writes Started (the final attempt's) plus the terminal event, removes the activity, schedules a workflow task. */
function finish(a: ActivityComponent, ctx: MutableContext, terminal: (startedEventId: number) => HistoryEvent): void {
  const s = a.state;
  const wf = workflowOf(a);
  const w = new HistoryWriter(wf, ctx);
  let startedId = 0;
  const wasStarted = s.status === 'started';
  if (wasStarted) {
    startedId =
      w.external(
        event('activityTaskStartedEventAttributes', {
          scheduledEventId: long(s.scheduledEventId),
          identity: s.startedIdentity,
          requestId: s.startedRequestId,
          attempt: s.attempt,
          ...(s.lastFailure ? { lastFailure: FailureMsg.decode(s.lastFailure) } : {}),
        }),
      ) ?? 0;
  }
  w.external(terminal(startedId), { startedIsPrevious: wasStarted });
  wf.fields.activities.delete(String(s.scheduledEventId));
  scheduleWorkflowTask(w);
  w.commit();
}

export function completeActivity(a: ActivityComponent, ctx: MutableContext, result: Payloads | null | undefined, identity: string): void {
  const sched = long(a.state.scheduledEventId);
  finish(a, ctx, (started) =>
    // Optional fields last: a literal that starts with a spread is slow to extend (ADR 0041).
    event('activityTaskCompletedEventAttributes', {
      scheduledEventId: sched,
      startedEventId: long(started),
      identity,
      ...(result ? { result } : {}),
    }),
  );
}

export function cancelActivity(a: ActivityComponent, ctx: MutableContext, details: Payloads | null | undefined, identity: string): void {
  const s = a.state;
  // A worker that stops a paused or reset attempt with a cancellation (the workflow asked for
  // none) yields the attempt: it is retried like a failure, never closed as canceled.
  if (!s.cancelRequested && (s.paused || s.resetPending)) {
    failActivity(a, ctx, { message: s.resetPending ? 'Activity reset' : 'Activity paused', source: 'Server', canceledFailureInfo: details ? { details } : {} }, identity, null);
    return;
  }
  finish(a, ctx, (started) =>
    event('activityTaskCanceledEventAttributes', {
      latestCancelRequestedEventId: long(s.cancelRequestedEventId),
      scheduledEventId: long(s.scheduledEventId),
      startedEventId: long(started),
      identity,
      ...(details ? { details } : {}),
    }),
  );
}

/** The delay before the next attempt, or the retry state that ends retrying. */
function nextRetry(s: ActivityState, failure: Failure | null | undefined, now: number): { delayMs: number } | { retryState: number } {
  const info = failure?.applicationFailureInfo;
  if (info?.nonRetryable) return { retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  if (info?.type && s.retry.nonRetryableErrorTypes.includes(info.type)) {
    return { retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  if (s.retry.maximumAttempts > 0 && s.attempt >= s.retry.maximumAttempts) {
    return { retryState: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  }
  const explicit = durationToMs(info?.nextRetryDelay, 'failure.application_failure_info.next_retry_delay');
  const delayMs =
    explicit > 0
      ? explicit
      : Math.min(s.retry.initialIntervalMs * Math.pow(s.retry.backoffCoefficient, s.attempt - 1), s.retry.maximumIntervalMs);
  if (s.scheduleToCloseMs > 0 && now + delayMs >= s.scheduledTime + s.scheduleToCloseMs) {
    return { retryState: RetryState.RETRY_STATE_TIMEOUT };
  }
  return { delayMs };
}

/**
 * Moves to the next attempt after `delayMs`. No events: retries are invisible in history. A reset
 * requested while the attempt ran starts over at attempt 1 at once; a paused activity keeps its
 * next attempt until it is unpaused.
 */
function retry(a: ActivityComponent, ctx: MutableContext, failure: Failure | null | undefined, delayMs: number): void {
  const s = a.state;
  const now = ctx.now.getTime();
  if (s.resetPending) {
    if (s.resetPending.resetHeartbeat) clearHeartbeat(s);
    s.resetPending = null;
    s.resetAttemptsOnRetry = false;
    s.attempt = 1;
    delayMs = 0;
  } else if (s.resetAttemptsOnRetry) {
    s.resetAttemptsOnRetry = false;
    s.attempt = 1;
  } else {
    s.attempt++;
  }
  s.status = 'scheduled';
  s.stamp++;
  s.lastFailure = failure ? FailureMsg.encode(failure).finish() : null;
  s.currentAttemptScheduledTime = now + delayMs;
  s.startedTime = 0;
  if (!s.paused) armAttempt(a, ctx, now + delayMs);
}

export function clearHeartbeat(s: ActivityState): void {
  s.heartbeatDetails = null;
  s.lastHeartbeatTime = 0;
}

/** RespondActivityTaskFailed: retry, or write Started + Failed. */
export function failActivity(
  a: ActivityComponent,
  ctx: MutableContext,
  failure: Failure | null | undefined,
  identity: string,
  lastHeartbeatDetails: Payloads | null | undefined,
): void {
  const s = a.state;
  if (lastHeartbeatDetails) s.heartbeatDetails = encodeMessage(Common.Payloads, lastHeartbeatDetails as temporal.api.common.v1.Payloads);
  // A reset attempt always starts over, whatever the failure (the SDK reports it as ActivityReset).
  const next = s.resetPending ? { delayMs: 0 } : nextRetry(s, failure, ctx.now.getTime());
  if ('delayMs' in next) {
    retry(a, ctx, failure, next.delayMs);
    return;
  }
  finish(a, ctx, (started) =>
    event('activityTaskFailedEventAttributes', {
      scheduledEventId: long(s.scheduledEventId),
      startedEventId: long(started),
      identity,
      retryState: next.retryState,
      ...(failure ? { failure } : {}),
    }),
  );
}

const TIMEOUT_TYPES: Record<ActivityTimeoutKind, number> = {
  scheduleToStart: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
  scheduleToClose: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
  startToClose: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
  heartbeat: TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
};

export function timeoutActivity(a: ActivityComponent, ctx: MutableContext, kind: ActivityTimeoutKind): void {
  const s = a.state;
  const wf = workflowOf(a);
  if (wf.state.status !== 'running') return;
  const failure: Failure = {
    message: `activity ${kind === 'heartbeat' ? 'Heartbeat' : kind.charAt(0).toUpperCase() + kind.slice(1)} timeout`,
    source: 'Server',
    timeoutFailureInfo: {
      timeoutType: TIMEOUT_TYPES[kind],
      ...(s.heartbeatDetails ? { lastHeartbeatDetails: decodeMessage(Common.Payloads, s.heartbeatDetails) } : {}),
    },
  };
  if (kind === 'startToClose' || kind === 'heartbeat') {
    const next = s.resetPending ? { delayMs: 0 } : nextRetry(s, failure, ctx.now.getTime());
    if ('delayMs' in next) {
      retry(a, ctx, failure, next.delayMs);
      return;
    }
    finishTimedOut(a, ctx, failure, next.retryState);
    return;
  }
  finishTimedOut(a, ctx, failure, kind === 'scheduleToClose' ? RetryState.RETRY_STATE_TIMEOUT : RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
}

function finishTimedOut(a: ActivityComponent, ctx: MutableContext, failure: Failure, retryState: number): void {
  const s = a.state;
  // The timed-out attempt's failure is the final failure, with the previous one as its cause.
  const lastFailure = s.lastFailure ? FailureMsg.decode(s.lastFailure) : null;
  const withCause: Failure = lastFailure && failure.timeoutFailureInfo ? { ...failure, cause: lastFailure } : failure;
  finish(a, ctx, (started) =>
    event('activityTaskTimedOutEventAttributes', {
      failure: withCause,
      scheduledEventId: long(s.scheduledEventId),
      startedEventId: long(started),
      retryState,
    }),
  );
}

export interface HeartbeatAnswer {
  readonly cancelRequested: boolean;
  readonly activityPaused: boolean;
  readonly activityReset: boolean;
}

/** RecordActivityTaskHeartbeat: keeps details, re-arms the heartbeat timeout, reports cancellation, pause and reset. */
export function heartbeatActivity(a: ActivityComponent, ctx: MutableContext, details: Payloads | null | undefined): HeartbeatAnswer {
  const s = a.state;
  const now = ctx.now.getTime();
  if (details) s.heartbeatDetails = encodeMessage(Common.Payloads, details as temporal.api.common.v1.Payloads);
  s.lastHeartbeatTime = now;
  if (s.heartbeatMs > 0) {
    s.stamp++;
    ctx.addTask(a, ActivityTimeout, { kind: 'heartbeat', attempt: s.attempt, stamp: s.stamp }, { at: new Date(now + s.heartbeatMs) });
  }
  return { cancelRequested: s.cancelRequested, activityPaused: s.paused, activityReset: s.resetPending !== null };
}

/** RequestCancelActivityTask: cancels a not-yet-started activity at once, otherwise flags it. */
export function requestCancelActivity(w: HistoryWriter, scheduledEventId: number, completedEventId: number): boolean {
  const a = w.wf.fields.activities.get(String(scheduledEventId));
  if (!a) {
    throw new BadCommandError(
      Enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
      `Activity with scheduled event id ${scheduledEventId} is not pending.`,
    );
  }
  const requestedId = w.append(
    event('activityTaskCancelRequestedEventAttributes', {
      scheduledEventId: long(scheduledEventId),
      workflowTaskCompletedEventId: long(completedEventId),
    }),
  );
  if (a.state.status === 'scheduled') {
    w.append(
      event('activityTaskCanceledEventAttributes', {
        scheduledEventId: long(scheduledEventId),
        startedEventId: long(0),
        latestCancelRequestedEventId: long(requestedId),
      }),
    );
    w.wf.fields.activities.delete(String(scheduledEventId));
    return true;
  }
  a.state.cancelRequested = true;
  a.state.cancelRequestedEventId = requestedId;
  return false;
}

export { Activity };

/** The fields an activity is scheduled with; the rest of its state starts the same way every time. */
export type ActivitySchedule = Pick<
  ActivityState,
  | 'scheduledEventId' | 'activityId' | 'activityType' | 'taskQueue' | 'header' | 'input' | 'priority'
  | 'scheduleToCloseMs' | 'scheduleToStartMs' | 'startToCloseMs' | 'heartbeatMs' | 'retry'
>;

/**
 * A freshly scheduled activity (attempt 1, nothing started): used by the ScheduleActivityTask
 * command and by reset's replay, so a new state field gets its initial value in one place.
 */
export function scheduledActivityState(schedule: ActivitySchedule, now: number): ActivityState {
  // withFields, not `{ ...schedule, attempt, … }`: the spread-then-new-field slow path (ADR 0041).
  return withFields(schedule, {
    attempt: 1,
    status: 'scheduled',
    scheduledTime: now,
    currentAttemptScheduledTime: now,
    startedTime: 0,
    startedIdentity: '',
    startedRequestId: '',
    lastFailure: null,
    heartbeatDetails: null,
    lastHeartbeatTime: 0,
    cancelRequested: false,
    cancelRequestedEventId: 0,
    stamp: 0,
    paused: false,
    pauseInfo: null,
    resetPending: null,
    resetAttemptsOnRetry: false,
  });
}
