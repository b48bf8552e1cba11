import { lib } from '../library-builder.js';
import { type ComponentRef, type SideEffectContext } from '@chasm/core';
import { decodeActivityTaskPayload, encodeActivityTaskPayload } from '@chasm/matching';
import { Activity, attemptInProgress, isTerminal } from './activity.js';
import type { PriorityState } from './activity-options.js';
import {
  attemptTimedOut,
  heartbeatTimedOut,
  reofferAttempt,
  scheduleToCloseTimedOut,
  scheduleToStartTimedOut,
} from './activity.transitions.js';

/** Payload of the dispatch task: the attempt stamp it was created for. */
export interface ActivityDispatchTask {
  readonly stamp: number;
  readonly attempt: number;
  readonly taskQueue: string;
  readonly priority: PriorityState;
  /** Epoch ms after which matching drops the task (schedule-to-start); absent = never. */
  readonly expiry?: number;
}
/** Attempt timers carry the stamp; deadline-based ones also the deadline they were armed for. */
export interface ActivityAttemptTimerTask {
  readonly stamp: number;
  readonly deadline: number;
}
export interface ActivityHeartbeatTimerTask {
  readonly stamp: number;
}
export interface ActivityStartGuardTask {
  readonly stamp: number;
  /** `Context.memoryEpoch` when the attempt was scheduled (ADR 0067); absent in rows written before. */
  readonly epoch?: string;
}
export interface ActivityScheduleToCloseTask {
  readonly deadline: number;
}

/** What the dispatch task hands to matching (the `payload` of an activity task). */
export interface ActivityTaskInfo {
  /** The activity's root ref (no task id): the poll's accept hook re-enters through it. */
  readonly ref: ComponentRef;
  readonly stamp: number;
  readonly attempt: number;
}

/** Everything the dispatcher needs, so dispatch never reads state outside the lock. */
export interface ActivityDispatch extends ActivityTaskInfo {
  readonly taskQueue: string;
  readonly priority: PriorityState;
  readonly expiry?: number;
}

/** Pushes one attempt to matching; wired by the library (it needs the matching service). */
export type ActivityDispatcher = (ctx: SideEffectContext, dispatch: ActivityDispatch) => Promise<void>;

/**
 * The matching payload: the activity-task contract's 'stamped' form (@chasm/matching), tagged
 * with the archetype so the shared router hands the task back to this package.
 */
export function encodeActivityTaskInfo(info: ActivityTaskInfo): Uint8Array {
  return encodeActivityTaskPayload({ ref: info.ref, attempt: info.attempt, stamp: info.stamp }, 'stamped');
}

/**
 * Dispatch (side effect): valid while SCHEDULED with the same stamp. Stale dispatches are dropped
 * before they run; a dispatch that reached matching twice (crash between push and task delete) is
 * refused by the poll's accept hook, which checks the stamp again.
 */
export function dispatchTaskType(dispatch: ActivityDispatcher) {
  return lib.sideEffectTask<typeof Activity, ActivityDispatchTask>({
    name: 'dispatch',
    component: Activity,
    validate: (_ctx, a, p) => a.state.status === 'scheduled' && a.state.stamp === p.stamp,
    async execute(ctx, ref, p) {
      const { taskId: _taskId, ...rootRef } = ref;
      await dispatch(ctx, { ...p, ref: rootRef });
    },
  });
}

/** The unwired dispatch type transitions add; the registry holds the wired one under the same name. */
export const DispatchTask = dispatchTaskType(async () => {
  throw new Error('activity.dispatch is not wired to matching (use createStandaloneActivityLibrary)');
});

/** ScheduleToStart: only while SCHEDULED with the same stamp; never retried (B.5). */
export const ScheduleToStartTimeoutTask = lib.pureTask<typeof Activity, ActivityAttemptTimerTask>({
  name: 'scheduleToStartTimeout',
  component: Activity,
  validate: (_ctx, a, p) => a.state.status === 'scheduled' && a.state.stamp === p.stamp,
  execute: (ctx, a) => scheduleToStartTimedOut(a, ctx),
});

/** ScheduleToClose: while non-terminal and the deadline still matches the options. */
export const ScheduleToCloseTimeoutTask = lib.pureTask<typeof Activity, ActivityScheduleToCloseTask>({
  name: 'scheduleToCloseTimeout',
  component: Activity,
  validate: (_ctx, a, p) => !isTerminal(a.state.status) && a.state.options.scheduleToCloseMs > 0 && scheduleToCloseDeadline(a.state) === p.deadline,
  execute: (ctx, a) => scheduleToCloseTimedOut(a, ctx),
});

/** StartToClose: while this attempt runs and its deadline matches (options may have changed). */
export const StartToCloseTimeoutTask = lib.pureTask<typeof Activity, ActivityAttemptTimerTask>({
  name: 'startToCloseTimeout',
  component: Activity,
  validate: (_ctx, a, p) =>
    attemptInProgress(a.state.status) && a.state.stamp === p.stamp && a.state.startedTime !== null && a.state.startedTime + a.state.options.startToCloseMs === p.deadline,
  execute: (ctx, a) => attemptTimedOut(a, ctx, 'START_TO_CLOSE'),
});

/**
 * Heartbeat: armed once per attempt; heartbeats only record their time. When it fires after a
 * recent heartbeat it re-arms itself instead (one timer row per attempt, not one per heartbeat).
 */
export const HeartbeatTimeoutTask = lib.pureTask<typeof Activity, ActivityHeartbeatTimerTask>({
  name: 'heartbeatTimeout',
  component: Activity,
  validate: (_ctx, a, p) => attemptInProgress(a.state.status) && a.state.stamp === p.stamp && a.state.options.heartbeatMs > 0,
  execute: (ctx, a) => heartbeatTimedOut(a, ctx),
});

/**
 * The start guard of a scheduled attempt (ADR 0065), at its shortest attempt timeout after its
 * dispatch time. A poller may start the attempt in memory only before this runs (lazy-start.ts);
 * the transaction running it first settles such a start (the root's settleSpeculative hook
 * writes it with its timers), after which the guard only clears itself. Finding the attempt not
 * started, the guard ends the window, and if a start may have been lost (the memory epoch changed
 * since the attempt was scheduled: a restart, a failed commit, a lost shard; ADR 0067) it offers
 * the attempt again under a new stamp. An eviction loses nothing: an execution holding a start in
 * memory is not evicted.
 */
export const StartGuardTask = lib.pureTask<typeof Activity, ActivityStartGuardTask>({
  name: 'startGuard',
  component: Activity,
  validate: (_ctx, a, p) => (a.state.status === 'scheduled' || a.state.status === 'started') && a.state.stamp === p.stamp && a.state.startGuardAt !== null,
  // At the epoch the attempt was scheduled in, a stored activity holds no start in memory: a
  // stored 'started' has no startGuardAt (invalid), a 'scheduled' one makes execute return at
  // once. So the engine skips loading an evicted activity for it (ADR 0069).
  idleAtEpoch: (p) => p.epoch,
  execute(ctx, a, p) {
    const s = a.state;
    // Still waiting in a backlog, nothing lost: the window is closed by time alone
    // (`canStartLazily` compares with startGuardAt), so the guard changes nothing and costs no
    // write (the engine deletes its row in a batch).
    if (s.status === 'scheduled' && p.epoch === ctx.memoryEpoch) return;
    s.startGuardAt = null;
    if (s.status === 'scheduled') reofferAttempt(a, ctx);
  },
});

export function scheduleToCloseDeadline(s: { scheduleTime: number; options: { startDelayMs: number; scheduleToCloseMs: number } }): number {
  return s.scheduleTime + s.options.startDelayMs + s.options.scheduleToCloseMs;
}

/** Decodes a matching payload written by `encodeActivityTaskInfo`; undefined if it is not ours. */
export function decodeActivityTaskInfo(bytes: Uint8Array): ActivityTaskInfo | undefined {
  const task = decodeActivityTaskPayload(bytes);
  return task && task.ref.archetype === Activity.name ? task : undefined;
}
