import { lib } from '../library-builder.js';
import { encodeActivityTaskPayload } from '@chasm/matching';
import { depsOf } from '../workflow/deps.js';
import { Activity } from './activity.js';
import { timeoutActivity, type ActivityTimeoutKind } from './activity-state-machine.js';

export interface DispatchActivityPayload {
  readonly attempt: number;
  readonly taskQueue: string;
}

/**
 * Hands an activity attempt to matching. The matching payload is the contract's 'ref' form: the
 * activity's component ref (archetype `workflow.workflow`, so the activity-task router knows which
 * feature owns it) with the attempt in the ref's task id slot.
 */
export const DispatchActivity = lib.sideEffectTask<typeof Activity, DispatchActivityPayload>({
  name: 'dispatchActivity',
  component: Activity,
  validate: (_ctx, a, p) => a.state.attempt === p.attempt && a.state.status === 'scheduled',
  async execute(ctx, ref, p) {
    const { matching } = depsOf(ctx.engine);
    await matching.addTask({
      namespaceId: ref.namespaceId,
      taskQueue: { name: p.taskQueue, kind: 'normal' },
      type: 'activity',
      payload: encodeActivityTaskPayload({ ref, attempt: p.attempt, stamp: 0 }, 'ref'),
    });
  },
});

export interface ActivityTimeoutPayload {
  readonly kind: ActivityTimeoutKind;
  readonly attempt: number;
  readonly stamp: number;
}

export const ActivityTimeout = lib.pureTask<typeof Activity, ActivityTimeoutPayload>({
  name: 'activityTimeout',
  component: Activity,
  validate: (_ctx, a, p) => {
    const s = a.state;
    switch (p.kind) {
      case 'scheduleToClose':
        return true;
      case 'scheduleToStart':
        return s.attempt === p.attempt && s.status === 'scheduled';
      case 'startToClose':
        return s.attempt === p.attempt && s.status === 'started';
      case 'heartbeat':
        return s.attempt === p.attempt && s.status === 'started' && s.stamp === p.stamp;
    }
  },
  execute(ctx, a, p) {
    timeoutActivity(a, ctx, p.kind);
  },
});
