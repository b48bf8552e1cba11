import type { MutableContext } from '@chasm/core';
import { activityHooks, type ActivityComponent } from './activity.js';
import { ActivityTransitions, armAttemptTimers, lazilyStarted, type StartedEvent } from './activity.transitions.js';
import type { ActivityTaskToken } from './activity-token.js';

/**
 * Lazy start of standalone activity attempts (ADR 0065, the pattern of ADRs 0063/0064 for
 * workflow tasks). An attempt that waited in its queue's backlog (no poller was waiting when it
 * was scheduled, so ADR 0042's hand-off did not apply) used to cost a commit when a poller took
 * it: the started state and the attempt's timers, written before the poll was answered, then a
 * second commit for its completion. Here the poll's accept hook starts it in a speculative engine
 * update instead (in memory), and the attempt's next commit (its completion, nearly always)
 * writes the start with everything else; timers of an attempt that closes in that commit are
 * never written.
 *
 * Only before the attempt's start guard has run (`StartGuardTask`, stored with the attempt when
 * it was scheduled, at its shortest attempt timeout after its dispatch time):
 * - Slow worker: the guard's transaction settles the start (`settleLazyStart`, run first by every
 *   committing transaction), so the start-to-close and heartbeat timers are written, from the
 *   real start time, before either can be due.
 * - Lost start (kill -9, the activity left the cache): the guard finds the attempt unstarted in a
 *   state loaded since it was scheduled and offers it again under a new stamp. Until then, the
 *   lost start's worker may still finish it (`restoreLostLazyStart`).
 * - No start (the task waits in a backlog, the activity stayed cached): the guard only closes the
 *   window; a later poll starts the attempt with a commit.
 */

/** Whether the scheduled attempt `stamp` may be started in memory now. */
export function canStartLazily(a: ActivityComponent, stamp: number, now: number): boolean {
  const s = a.state;
  return s.status === 'scheduled' && s.stamp === stamp && s.startGuardAt !== null && now < s.startGuardAt;
}

/**
 * The root's `settleSpeculative` hook (first step of every committing transaction of the
 * activity): an attempt started in memory gets its timers, from its start time, and its guard
 * no longer applies.
 */
export function settleLazyStart(a: ActivityComponent, ctx: MutableContext): void {
  if (!lazilyStarted.delete(a.state)) return;
  a.state.startGuardAt = null;
  armAttemptTimers(a, ctx);
}
activityHooks.settleSpeculative = settleLazyStart;

/**
 * A worker's response whose token names a start held in memory and lost since (kill -9, the
 * activity left the cache, or a failed transaction dropped the cached state): the stored attempt
 * is the token's (same attempt and stamp), still scheduled, and its guard has not run (only a
 * lazy start can have issued a token for a scheduled attempt). The start is recorded now, as a
 * poll would have with a commit, and the caller goes on with the response. False when the token
 * names something else (the caller's own checks then refuse it as before).
 */
export function restoreLostLazyStart(a: ActivityComponent, ctx: MutableContext, token: Pick<ActivityTaskToken, 'attempt' | 'stamp'>, ev: StartedEvent): boolean {
  const s = a.state;
  if (token.attempt === 0 || s.status !== 'scheduled' || s.attempt !== token.attempt || s.stamp !== token.stamp || s.startGuardAt === null || lazilyStarted.has(s)) {
    return false;
  }
  ActivityTransitions.started.apply(a, ctx, ev);
  return true;
}
