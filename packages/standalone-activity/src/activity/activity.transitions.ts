import { stateMachine, type MutableContext } from '@chasm/core';
import { encodeFailure, temporalProto, type temporal } from '@chasm/matching';
import {
  ATTEMPT_IN_PROGRESS,
  NON_TERMINAL,
  closeTerminated,
  originalOptionsOf,
  type ActivityComponent,
  type ActivityOutcomeState,
  type ActivityStatus,
  type RetryStateName,
} from './activity.js';
import { cloneOptions, policyBackoffMs } from './activity-options.js';
import {
  DispatchTask,
  HeartbeatTimeoutTask,
  ScheduleToCloseTimeoutTask,
  ScheduleToStartTimeoutTask,
  StartGuardTask,
  StartToCloseTimeoutTask,
  scheduleToCloseDeadline,
  type ActivityDispatchTask,
} from './activity.tasks.js';
import type { ActivityState } from './activity-state.js';

const machine = stateMachine<ActivityComponent, ActivityStatus>({
  get: (a) => a.state.status,
  set: (a, s) => {
    a.state.status = s;
  },
});

export type TimeoutTypeName = 'START_TO_CLOSE' | 'SCHEDULE_TO_START' | 'SCHEDULE_TO_CLOSE' | 'HEARTBEAT';

/** A failed attempt, as the retry decision needs it (reference B.5). */
export interface AttemptFailure {
  readonly failure: temporal.api.failure.v1.IFailure;
  /** Application non_retryable, or a canceled/terminated failure. */
  readonly nonRetryable: boolean;
  /** Application failure type, or `TemporalTimeout:<TYPE>` for timeouts. */
  readonly errorType: string;
  /** The worker's next_retry_delay (0 = use the policy). */
  readonly nextRetryDelayMs: number;
  readonly timeoutType?: 'START_TO_CLOSE' | 'HEARTBEAT';
}

export interface StartedEvent {
  readonly identity: string;
  readonly sdkName: string;
  readonly sdkVersion: string;
}

const now = (ctx: MutableContext): number => ctx.now.getTime();

export function timeoutFailure(
  type: TimeoutTypeName,
  message: string,
  heartbeatDetails: Uint8Array | null,
  cause: Uint8Array | null,
): temporal.api.failure.v1.IFailure {
  const details = heartbeatDetails ? temporalProto.temporal.api.common.v1.Payloads.decode(heartbeatDetails) : null;
  return {
    message,
    source: 'Server',
    timeoutFailureInfo: { timeoutType: `TIMEOUT_TYPE_${type}` as never, lastHeartbeatDetails: details },
    ...(cause ? { cause: temporalProto.temporal.api.failure.v1.Failure.decode(cause) } : {}),
  };
}

/** Records an attempt failure, truncating oversize ones (B.3 "Failure exceeds size limit."). */
function boundedFailure(f: temporal.api.failure.v1.IFailure, maxBytes: number): Uint8Array {
  const bytes = encodeFailure(f);
  if (bytes.length <= maxBytes) return bytes;
  return encodeFailure({ message: 'Failure exceeds size limit.', source: 'Server', serverFailureInfo: { nonRetryable: false } });
}

/** Limits the transitions need but the state does not carry. */
export const transitionLimits = { maxAttemptFailureBytes: 4 * 1024 };

function armScheduleToClose(a: ActivityComponent, ctx: MutableContext): void {
  if (a.state.options.scheduleToCloseMs <= 0) return;
  const deadline = scheduleToCloseDeadline(a.state);
  ctx.addTask(a, ScheduleToCloseTimeoutTask, { deadline }, { at: new Date(deadline) });
}

/**
 * New stamp, a dispatch task (at `dispatchAt`), the schedule-to-start timer for it and, unless
 * `guard` is false, the attempt's start guard (ADR 0065; lazy-start.ts).
 */
function scheduleAttempt(a: ActivityComponent, ctx: MutableContext, dispatchAt: number, guard = true): void {
  const s = a.state;
  s.stamp++;
  s.dispatchTime = dispatchAt;
  const s2s = s.options.scheduleToStartMs;
  if (s2s > 0) {
    ctx.addTask(a, ScheduleToStartTimeoutTask, { stamp: s.stamp, deadline: dispatchAt + s2s }, { at: new Date(dispatchAt + s2s) });
  }
  const payload: ActivityDispatchTask = {
    stamp: s.stamp,
    attempt: s.attempt,
    taskQueue: s.options.taskQueue,
    priority: s.options.priority,
    ...(s2s > 0 ? { expiry: dispatchAt + s2s } : {}),
  };
  ctx.addTask(a, DispatchTask, payload, dispatchAt > now(ctx) ? { at: new Date(dispatchAt) } : undefined);
  // Not written when the attempt is started in this same commit (hand-off): `started` clears
  // startGuardAt, which makes the guard invalid by then. The memory epoch (ADR 0067) tells the
  // guard whether a start held in memory can have been lost.
  s.startGuardAt = guard ? dispatchAt + startGuardDelayMs(s) : null;
  if (s.startGuardAt !== null) ctx.addTask(a, StartGuardTask, { stamp: s.stamp, epoch: ctx.memoryEpoch }, { at: new Date(s.startGuardAt) });
}

/**
 * How long after its dispatch time an attempt may be started in memory: its shortest attempt
 * timeout. The guard then settles a start held since (writes it with its timers) before either
 * timeout of the attempt can be due, whenever in that window it started.
 */
export function startGuardDelayMs(s: Pick<ActivityState, 'options'>): number {
  const { startToCloseMs, heartbeatMs } = s.options;
  return Math.max(1, heartbeatMs > 0 ? Math.min(startToCloseMs, heartbeatMs) : startToCloseMs);
}

/** Root states whose current attempt was started in memory and not yet written (ADR 0065). */
export const lazilyStarted = new WeakSet<ActivityState>();

/**
 * The start guard found its attempt unstarted in a state loaded since it was scheduled: a start
 * may have been lost with the process (or the cache) that held it. The attempt is offered again
 * under a new stamp (the lost start's token, and any copy of the old task still in a backlog, are
 * stale then), due at once, with its schedule-to-start deadline unchanged; without a guard, so a
 * poll starts it with a commit.
 */
export function reofferAttempt(a: ActivityComponent, ctx: MutableContext): void {
  scheduleAttempt(a, ctx, a.state.dispatchTime, false);
}

function recordStart(a: ActivityComponent, ctx: MutableContext, ev: StartedEvent): void {
  const s = a.state;
  s.startedTime = now(ctx);
  s.firstStartedTime ??= s.startedTime;
  s.lastWorkerIdentity = ev.identity;
  s.sdkName = ev.sdkName;
  s.sdkVersion = ev.sdkVersion;
  s.retryIntervalMs = null;
}

export function armAttemptTimers(a: ActivityComponent, ctx: MutableContext): void {
  const s = a.state;
  const started = s.startedTime ?? now(ctx);
  const deadline = started + s.options.startToCloseMs;
  ctx.addTask(a, StartToCloseTimeoutTask, { stamp: s.stamp, deadline }, { at: new Date(deadline) });
  if (s.options.heartbeatMs > 0) {
    ctx.addTask(a, HeartbeatTimeoutTask, { stamp: s.stamp }, { at: new Date(started + s.options.heartbeatMs) });
  }
}

function close(a: ActivityComponent, ctx: MutableContext, outcome: ActivityOutcomeState): void {
  a.state.startGuardAt = null;
  a.state.closeTime = now(ctx);
  a.state.outcome = outcome;
  a.state.retryIntervalMs = null;
}

/** When the current start-delay target is still ahead of a never-started activity. */
function startDelayTarget(a: ActivityComponent): number {
  return a.state.firstStartedTime === null ? a.state.scheduleTime + a.state.options.startDelayMs : 0;
}

export const ActivityTransitions = {
  /** Worker polled the task (RecordActivityTaskStarted). */
  started: machine.transition<StartedEvent>({
    name: 'started',
    from: ['scheduled'],
    to: 'started',
    apply(a, ctx, ev) {
      recordStart(a, ctx, ev);
      a.state.startGuardAt = null;
      armAttemptTimers(a, ctx);
    },
  }),
  /**
   * Worker polled the task and the attempt starts in memory (ADR 0065): the same state as
   * `started`, without the attempt timers, which a speculative update may not add; the first
   * commit of the activity settles it (`settleLazyStart`) and adds them.
   */
  startedLazily: machine.transition<StartedEvent>({
    name: 'startedLazily',
    from: ['scheduled'],
    to: 'started',
    apply(a, ctx, ev) {
      recordStart(a, ctx, ev);
      lazilyStarted.add(a.state);
    },
  }),
  /** From SCHEDULED/PAUSED only through CompletedById (force-complete); token checks enforce it. */
  completed: machine.transition<{ result: Uint8Array | null }>({
    name: 'completed',
    from: NON_TERMINAL,
    to: 'completed',
    apply(a, ctx, ev) {
      a.state.startedTime ??= now(ctx);
      close(a, ctx, { result: ev.result, failure: null, retryState: 'IN_PROGRESS' });
    },
  }),
  failed: machine.transition<{ failure: Uint8Array; retryState: RetryStateName }>({
    name: 'failed',
    from: ATTEMPT_IN_PROGRESS,
    to: 'failed',
    apply: (a, ctx, ev) => close(a, ctx, { result: null, failure: ev.failure, retryState: ev.retryState }),
  }),
  timedOut: machine.transition<{ failure: Uint8Array; retryState: RetryStateName }>({
    name: 'timedOut',
    from: NON_TERMINAL,
    to: 'timedOut',
    apply: (a, ctx, ev) => close(a, ctx, { result: null, failure: ev.failure, retryState: ev.retryState }),
  }),
  canceled: machine.transition<{ details: temporal.api.common.v1.IPayloads | null; identity: string }>({
    name: 'canceled',
    from: ['scheduled', 'paused', 'cancelRequested'],
    to: 'canceled',
    apply(a, ctx, ev) {
      const failure = encodeFailure({ message: 'Activity canceled', source: 'Server', canceledFailureInfo: { details: ev.details, identity: ev.identity } });
      close(a, ctx, { result: null, failure, retryState: 'CANCEL_REQUESTED' });
    },
  }),
  terminated: machine.transition<{ reason: string; identity: string; requestId: string }>({
    name: 'terminated',
    from: NON_TERMINAL,
    to: 'terminated',
    apply(a, ctx, ev) {
      closeTerminated(a.state, now(ctx), ev.reason, ev.identity);
      a.state.terminateRequestId = ev.requestId;
    },
  }),
  requestCancel: machine.transition<{ requestId: string; reason: string; identity: string }>({
    name: 'requestCancel',
    from: ['scheduled', 'paused', 'started', 'pauseRequested', 'resetRequested'],
    to: 'cancelRequested',
    apply(a, ctx, ev) {
      a.state.cancel = { ...ev, time: now(ctx) };
      a.state.pendingReset = null;
    },
  }),
  /** A failed attempt goes back to SCHEDULED after the backoff. */
  retry: machine.transition<{ intervalMs: number }>({
    name: 'retry',
    from: ['started', 'pauseRequested'],
    to: 'scheduled',
    apply(a, ctx, ev) {
      a.state.attempt++;
      a.state.retryIntervalMs = ev.intervalMs;
      scheduleAttempt(a, ctx, now(ctx) + ev.intervalMs);
    },
  }),
  /** A failed attempt while a pause was requested: PAUSED, keeping the pending retry time. */
  retryPaused: machine.transition<{ intervalMs: number }>({
    name: 'retryPaused',
    from: ['pauseRequested'],
    to: 'paused',
    apply(a, ctx, ev) {
      a.state.attempt++;
      a.state.stamp++;
      a.state.retryIntervalMs = ev.intervalMs;
      a.state.dispatchTime = now(ctx) + ev.intervalMs;
    },
  }),
  pause: machine.transition<{ requestId: string }>({
    name: 'pause',
    from: ['scheduled'],
    to: 'paused',
    apply(a, _ctx, ev) {
      // The stamp bump invalidates the pending dispatch and schedule-to-start timer; S2C keeps running.
      a.state.stamp++;
      a.state.lastPauseRequestId = ev.requestId;
    },
  }),
  requestPause: machine.transition<{ requestId: string }>({
    name: 'requestPause',
    from: ['started'],
    to: 'pauseRequested',
    apply(a, _ctx, ev) {
      a.state.lastPauseRequestId = ev.requestId;
    },
  }),
  unpause: machine.transition<{ requestId: string; jitterMs: number }>({
    name: 'unpause',
    from: ['paused'],
    to: 'scheduled',
    apply(a, ctx, ev) {
      a.state.lastUnpauseRequestId = ev.requestId;
      const at = Math.max(now(ctx) + Math.random() * ev.jitterMs, startDelayTarget(a), a.state.dispatchTime);
      scheduleAttempt(a, ctx, Math.round(at));
    },
  }),
  unpauseRequested: machine.transition<{ requestId: string }>({
    name: 'unpauseRequested',
    from: ['pauseRequested'],
    to: 'started',
    apply(a, _ctx, ev) {
      a.state.lastUnpauseRequestId = ev.requestId;
    },
  }),
  /** Reset while an attempt runs: deferred until the worker yields (B.7). */
  requestReset: machine.transition<{ requestId: string; keepPaused: boolean; resetHeartbeat: boolean; restoreOriginal: boolean }>({
    name: 'requestReset',
    from: ['started', 'pauseRequested'],
    to: 'resetRequested',
    apply(a, _ctx, ev) {
      a.state.lastResetRequestId = ev.requestId;
      a.state.pendingReset = { keepPaused: ev.keepPaused, resetHeartbeat: ev.resetHeartbeat, restoreOriginal: ev.restoreOriginal };
    },
  }),
};

/** Back to attempt 1: SCHEDULED (dispatched after jitter/start delay) or PAUSED with keepPaused. */
export function applyReset(
  a: ActivityComponent,
  ctx: MutableContext,
  opts: { keepPaused: boolean; resetHeartbeat: boolean; restoreOriginal: boolean; jitterMs: number },
): void {
  const s = a.state;
  s.attempt = 1;
  s.retryIntervalMs = null;
  s.pendingReset = null;
  if (opts.resetHeartbeat) s.heartbeatDetails = null;
  if (opts.restoreOriginal) s.options = cloneOptions(originalOptionsOf(s));
  if (opts.keepPaused) {
    s.stamp++;
    s.status = 'paused';
    s.dispatchTime = Math.max(now(ctx), startDelayTarget(a));
    return;
  }
  s.status = 'scheduled';
  scheduleAttempt(a, ctx, Math.round(Math.max(now(ctx) + Math.random() * opts.jitterMs, startDelayTarget(a))));
}

/** Creation (→ SCHEDULED): attempt 1, the S2C timer and the first dispatch (B.3). */
export function onCreated(a: ActivityComponent, ctx: MutableContext): void {
  armScheduleToClose(a, ctx);
  scheduleAttempt(a, ctx, a.state.scheduleTime + a.state.options.startDelayMs);
}

/** Re-issues timers after UpdateOptions changed timeouts (stale ones fail their deadline check). */
export function rearmAfterOptionsChange(a: ActivityComponent, ctx: MutableContext): void {
  armScheduleToClose(a, ctx);
  const s = a.state;
  if (s.status === 'scheduled') scheduleAttempt(a, ctx, Math.max(s.dispatchTime, now(ctx)));
  else if (ATTEMPT_IN_PROGRESS.includes(s.status)) armAttemptTimers(a, ctx);
}

function retryable(a: ActivityComponent, f: AttemptFailure): boolean {
  if (f.nonRetryable) return false;
  return !a.state.options.retry.nonRetryableErrorTypes.includes(f.errorType);
}

/** The retry decision for a failed or timed-out attempt (reference B.5 `tryReschedule`). */
export function attemptFailed(a: ActivityComponent, ctx: MutableContext, f: AttemptFailure): void {
  const s = a.state;
  const t = now(ctx);
  const failure = boundedFailure(f.failure, transitionLimits.maxAttemptFailureBytes);
  s.lastFailure = failure;
  s.lastAttemptCompleteTime = t;
  const terminalStatus = f.timeoutType ? ActivityTransitions.timedOut : ActivityTransitions.failed;
  if (s.status === 'resetRequested') {
    applyReset(a, ctx, { ...(s.pendingReset ?? { keepPaused: false, resetHeartbeat: false, restoreOriginal: false }), jitterMs: 0 });
    return;
  }
  if (s.status === 'cancelRequested') {
    terminalStatus.apply(a, ctx, { failure, retryState: 'CANCEL_REQUESTED' });
    return;
  }
  const policy = s.options.retry;
  const intervalMs = f.nextRetryDelayMs > 0 ? f.nextRetryDelayMs : policyBackoffMs(policy, s.attempt);
  let retryState: RetryStateName | undefined;
  let outcome = failure;
  if (policy.maximumAttempts > 0 && s.attempt >= policy.maximumAttempts) {
    retryState = 'MAXIMUM_ATTEMPTS_REACHED';
  } else if (s.options.scheduleToCloseMs > 0 && t + intervalMs >= scheduleToCloseDeadline(s)) {
    retryState = 'TIMEOUT';
    if (f.timeoutType) {
      outcome = encodeFailure(
        timeoutFailure('SCHEDULE_TO_CLOSE', 'Not enough time to schedule next retry before activity ScheduleToClose timeout, giving up retrying', s.heartbeatDetails, failure),
      );
    }
  } else if (!retryable(a, f)) {
    retryState = 'NON_RETRYABLE_FAILURE';
  }
  if (retryState) {
    terminalStatus.apply(a, ctx, { failure: outcome, retryState });
    return;
  }
  if (s.status === 'pauseRequested') ActivityTransitions.retryPaused.apply(a, ctx, { intervalMs });
  else ActivityTransitions.retry.apply(a, ctx, { intervalMs });
}

export function attemptTimedOut(a: ActivityComponent, ctx: MutableContext, type: 'START_TO_CLOSE' | 'HEARTBEAT'): void {
  const message = type === 'START_TO_CLOSE' ? 'activity StartToClose timeout' : 'activity Heartbeat timeout';
  attemptFailed(a, ctx, {
    failure: timeoutFailure(type, message, a.state.heartbeatDetails, null),
    nonRetryable: false,
    errorType: `TemporalTimeout:${type}`,
    nextRetryDelayMs: 0,
    timeoutType: type,
  });
}

export function heartbeatTimedOut(a: ActivityComponent, ctx: MutableContext): void {
  const s = a.state;
  const lastBeat = Math.max(s.startedTime ?? 0, s.lastHeartbeatTime ?? 0);
  const due = lastBeat + s.options.heartbeatMs;
  if (due > now(ctx)) {
    ctx.addTask(a, HeartbeatTimeoutTask, { stamp: s.stamp }, { at: new Date(due) });
    return;
  }
  attemptTimedOut(a, ctx, 'HEARTBEAT');
}

export function scheduleToStartTimedOut(a: ActivityComponent, ctx: MutableContext): void {
  const failure = encodeFailure(timeoutFailure('SCHEDULE_TO_START', 'activity ScheduleToStart timeout', a.state.heartbeatDetails, a.state.lastFailure));
  ActivityTransitions.timedOut.apply(a, ctx, { failure, retryState: 'TIMEOUT' });
}

export function scheduleToCloseTimedOut(a: ActivityComponent, ctx: MutableContext): void {
  const failure = encodeFailure(timeoutFailure('SCHEDULE_TO_CLOSE', 'activity ScheduleToClose timeout', a.state.heartbeatDetails, a.state.lastFailure));
  const retryState: RetryStateName = a.state.status === 'cancelRequested' ? 'CANCEL_REQUESTED' : 'TIMEOUT';
  ActivityTransitions.timedOut.apply(a, ctx, { failure, retryState });
}
