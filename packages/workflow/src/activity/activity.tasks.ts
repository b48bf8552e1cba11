import { lib } from '../library-builder.js';
import { encodeActivityTaskPayload, type TaskPriority } from '@chasm/matching';
import { depsOf } from '../workflow/deps.js';
import { Activity } from './activity.js';
import { timeoutActivity, type ActivityTimeoutKind } from './activity-state-machine.js';

export interface DispatchActivityPayload {
  readonly attempt: number;
  readonly taskQueue: string;
  /** The activity's stamp when armed; absent in tasks written before operator commands. */
  readonly stamp?: number;
  /** The activity's dispatch priority; absent = default (and in tasks written before it was passed on). */
  readonly priority?: TaskPriority;
}

/**
 * Hands an activity attempt to matching. The matching payload is the contract's 'ref' form: the
 * activity's component ref (archetype `workflow.workflow`, so the activity-task router knows which
 * feature owns it) with the attempt in the ref's task id slot.
 */
export const DispatchActivity = lib.sideEffectTask<typeof Activity, DispatchActivityPayload>({
  name: 'dispatchActivity',
  component: Activity,
  validate: (_ctx, a, p) =>
    a.state.attempt === p.attempt && a.state.status === 'scheduled' && !a.state.paused && (p.stamp === undefined || p.stamp === a.state.stamp),
  async execute(ctx, ref, p) {
    const { matching } = depsOf(ctx.engine);
    await matching.addTask({
      namespaceId: ref.namespaceId,
      taskQueue: { name: p.taskQueue, kind: 'normal' },
      type: 'activity',
      payload: encodeActivityTaskPayload({ ref, attempt: p.attempt, stamp: 0 }, 'ref'),
      ...(p.priority ? { priority: p.priority } : {}),
    });
  },
});

export interface ActivityTimeoutPayload {
  readonly kind: ActivityTimeoutKind;
  readonly attempt: number;
  readonly stamp: number;
  /**
   * Schedule-to-close and start-to-close: the deadline the timer was armed for. When
   * UpdateActivityOptions changes the timeout it arms a new timer, and the old one is stale.
   * Absent in timers written before operator commands.
   */
  readonly deadline?: number;
}

export const ActivityTimeout = lib.pureTask<typeof Activity, ActivityTimeoutPayload>({
  name: 'activityTimeout',
  component: Activity,
  validate: (_ctx, a, p) => {
    const s = a.state;
    switch (p.kind) {
      case 'scheduleToClose':
        return p.deadline === undefined || p.deadline === s.scheduledTime + s.scheduleToCloseMs;
      case 'scheduleToStart':
        // A paused activity is not waiting for a worker; pause and unpause bump the stamp.
        return s.attempt === p.attempt && s.status === 'scheduled' && !s.paused && s.stamp === p.stamp;
      case 'startToClose':
        return s.attempt === p.attempt && s.status === 'started' && (p.deadline === undefined || p.deadline === s.startedTime + s.startToCloseMs);
      case 'heartbeat':
        return s.attempt === p.attempt && s.status === 'started' && s.stamp === p.stamp;
    }
  },
  execute(ctx, a, p) {
    timeoutActivity(a, ctx, p.kind);
  },
});
