import { FailedPreconditionError, InvalidArgumentError, NotFoundError, type MutableContext } from '@chasm/core';
import { durationToMs, encodePayloads, jsonPayloads, type temporal } from '@chasm/matching';
import { attemptInProgress, isTerminal, type ActivityComponent, type ActivityState } from './activity.js';
import type { ActivityOptionsState } from './activity-options.js';
import { ACTIVITY_STATE_DEFAULTS } from './activity-state-codec.js';
import type { ActivityTaskToken } from './activity-token.js';
import { ActivityTransitions, applyReset, attemptFailed, type AttemptFailure, type StartedEvent } from './activity.transitions.js';

/**
 * Operations on one activity, each run inside a single `engine.update`/`read` by the gRPC
 * handlers. They validate, then apply transitions; they never do I/O.
 */

export function newActivityState(opts: {
  activityId: string;
  activityType: string;
  options: ActivityOptionsState;
  identity: string;
  now: number;
}): ActivityState {
  // The fields every new activity starts alike come from the codec's defaults (the values it
  // leaves out), so the two cannot drift apart.
  return Object.assign({}, ACTIVITY_STATE_DEFAULTS, {
    activityId: opts.activityId,
    activityType: opts.activityType,
    status: 'scheduled' as const,
    options: opts.options,
    identity: opts.identity,
    scheduleTime: opts.now,
    attempt: 1,
    stamp: 0,
    dispatchTime: opts.now,
  });
}

/**
 * Applies "started" for a matched task; 'stale' when the task no longer applies (B.4). `lazy`:
 * in memory, in a speculative update (ADR 0065, lazy-start.ts).
 */
export function recordStarted(a: ActivityComponent, ctx: MutableContext, stamp: number, ev: StartedEvent, lazy = false): 'started' | 'stale' {
  if (a.state.status !== 'scheduled' || a.state.stamp !== stamp) return 'stale';
  (lazy ? ActivityTransitions.startedLazily : ActivityTransitions.started).apply(a, ctx, ev);
  return 'started';
}

const taskNotFound = (): NotFoundError => new NotFoundError('activity task not found');

/**
 * Token validation (`validateActivityTaskToken`): an attempt must be in progress, with the
 * token's attempt and stamp. By-id calls carry attempt 0; a by-id completion may also
 * force-complete a SCHEDULED or PAUSED activity.
 */
export function checkToken(a: ActivityComponent, token: Pick<ActivityTaskToken, 'attempt' | 'stamp'>, allowForceComplete = false): void {
  const s = a.state;
  if (token.attempt === 0) {
    if (attemptInProgress(s.status)) return;
    if (allowForceComplete && (s.status === 'scheduled' || s.status === 'paused')) return;
    throw taskNotFound();
  }
  if (!attemptInProgress(s.status) || token.attempt !== s.attempt || (token.stamp !== 0 && token.stamp !== s.stamp)) throw taskNotFound();
}

export function respondCompleted(a: ActivityComponent, ctx: MutableContext, token: Pick<ActivityTaskToken, 'attempt' | 'stamp'>, result: temporal.api.common.v1.IPayloads | null | undefined): void {
  checkToken(a, token, true);
  ActivityTransitions.completed.apply(a, ctx, { result: encodePayloads(result) });
}

/** Turns a worker failure into what the retry decision needs. */
export function attemptFailureOf(f: temporal.api.failure.v1.IFailure | null | undefined): AttemptFailure {
  const failure = f ?? { message: 'activity task failed without failure details' };
  const app = failure.applicationFailureInfo;
  return {
    failure,
    nonRetryable: !!app?.nonRetryable || !!failure.canceledFailureInfo || !!failure.terminatedFailureInfo,
    errorType: app?.type ?? '',
    nextRetryDelayMs: durationToMs(app?.nextRetryDelay, 'failure.application_failure_info.next_retry_delay'),
  };
}

export function respondFailed(
  a: ActivityComponent,
  ctx: MutableContext,
  token: Pick<ActivityTaskToken, 'attempt' | 'stamp'>,
  failure: temporal.api.failure.v1.IFailure | null | undefined,
  lastHeartbeatDetails: temporal.api.common.v1.IPayloads | null | undefined,
): void {
  checkToken(a, token);
  const details = encodePayloads(lastHeartbeatDetails);
  if (details) recordHeartbeat(a, ctx, details);
  attemptFailed(a, ctx, attemptFailureOf(failure));
}

export function respondCanceled(
  a: ActivityComponent,
  ctx: MutableContext,
  token: Pick<ActivityTaskToken, 'attempt' | 'stamp'>,
  details: temporal.api.common.v1.IPayloads | null | undefined,
  identity: string,
): void {
  checkToken(a, token);
  const s = a.state;
  if (s.status === 'resetRequested') {
    applyReset(a, ctx, { ...(s.pendingReset ?? { keepPaused: false, resetHeartbeat: false, restoreOriginal: false }), jitterMs: 0 });
    return;
  }
  if (s.status !== 'cancelRequested') {
    throw new InvalidArgumentError('task_token', 'unable to mark activity as canceled without activity being request canceled first');
  }
  ActivityTransitions.canceled.apply(a, ctx, { details: details ?? null, identity });
}

function recordHeartbeat(a: ActivityComponent, ctx: MutableContext, details: Uint8Array | null): void {
  a.state.lastHeartbeatTime = ctx.now.getTime();
  a.state.heartbeatCount++;
  if (details) a.state.heartbeatDetails = details;
}

export interface HeartbeatFlags {
  readonly cancelRequested: boolean;
  readonly activityPaused: boolean;
  readonly activityReset: boolean;
}

export function heartbeat(
  a: ActivityComponent,
  ctx: MutableContext,
  token: Pick<ActivityTaskToken, 'attempt' | 'stamp'>,
  details: temporal.api.common.v1.IPayloads | null | undefined,
): HeartbeatFlags {
  checkToken(a, token);
  recordHeartbeat(a, ctx, encodePayloads(details));
  const s = a.state.status;
  return { cancelRequested: s === 'cancelRequested', activityPaused: s === 'pauseRequested', activityReset: s === 'resetRequested' };
}

// ------------------------------------------------------------------ client commands (B.6, B.7)

export function requestCancel(a: ActivityComponent, ctx: MutableContext, req: { requestId: string; reason: string; identity: string }): void {
  const s = a.state;
  if (s.cancel?.requestId === req.requestId) return;
  if (isTerminal(s.status)) throw new FailedPreconditionError(`activity is in terminal state ${s.status}`);
  if (s.status === 'cancelRequested') {
    throw new FailedPreconditionError(`cancellation already requested with request ID ${s.cancel?.requestId ?? ''}`);
  }
  const noAttempt = s.status === 'scheduled' || s.status === 'paused';
  ActivityTransitions.requestCancel.apply(a, ctx, req);
  // Nothing runs: cancel at once. Otherwise the worker learns it from its heartbeat response.
  if (noAttempt) ActivityTransitions.canceled.apply(a, ctx, { details: jsonPayloads(req.reason), identity: req.identity });
}

export function terminate(a: ActivityComponent, ctx: MutableContext, req: { requestId: string; reason: string; identity: string }): void {
  const s = a.state;
  if (s.status === 'terminated') {
    if (s.terminateRequestId === req.requestId) return;
    throw new FailedPreconditionError(`already terminated with request ID ${s.terminateRequestId ?? ''}`);
  }
  ActivityTransitions.terminated.apply(a, ctx, req);
}

export function pause(a: ActivityComponent, ctx: MutableContext, req: { requestId: string }): void {
  const s = a.state;
  if (s.lastPauseRequestId === req.requestId) return;
  if (s.status === 'scheduled') ActivityTransitions.pause.apply(a, ctx, req);
  else if (s.status === 'started') ActivityTransitions.requestPause.apply(a, ctx, req);
  else throw new FailedPreconditionError(`activity is in non-pausable state ${s.status}`);
}

export function unpause(a: ActivityComponent, ctx: MutableContext, req: { requestId: string; jitterMs: number }): void {
  const s = a.state;
  if (s.lastUnpauseRequestId === req.requestId) return;
  if (isTerminal(s.status)) throw new FailedPreconditionError(`activity is in terminal state ${s.status}`);
  if (s.status === 'paused') ActivityTransitions.unpause.apply(a, ctx, req);
  else if (s.status === 'pauseRequested') ActivityTransitions.unpauseRequested.apply(a, ctx, req);
  else throw new FailedPreconditionError(`activity is in non-unpausable state ${s.status}`);
}

export function reset(
  a: ActivityComponent,
  ctx: MutableContext,
  req: { requestId: string; keepPaused: boolean; resetHeartbeat: boolean; restoreOriginal: boolean; jitterMs: number },
): void {
  const s = a.state;
  if (s.lastResetRequestId === req.requestId) return;
  if (isTerminal(s.status)) throw new FailedPreconditionError('activity execution is not running');
  if (s.status === 'cancelRequested' || s.status === 'resetRequested') {
    throw new FailedPreconditionError(`activity is in non-resettable state ${s.status}`);
  }
  s.lastResetRequestId = req.requestId;
  if (s.status === 'started' || s.status === 'pauseRequested') {
    ActivityTransitions.requestReset.apply(a, ctx, req);
    return;
  }
  // SCHEDULED or PAUSED: back to attempt 1 now.
  applyReset(a, ctx, { ...req, keepPaused: req.keepPaused && s.status === 'paused' });
}
