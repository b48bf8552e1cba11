import { lib } from '../library-builder.js';
import { dataOf, type ComponentOf, type ExecutionStatus, type Lifecycle, type MutableContext, type RootTarget } from '@chasm/core';
import { encodeFailure } from '@chasm/matching';
import type { ActivityOptionsState } from './activity-options.js';
import { activityStateCodec } from './activity-state-codec.js';
import { ActivityStatus, type ActivityOutcomeState, type ActivityState, type CancelRequestState, type RetryStateName } from './activity-state.js';

export { ActivityStatus, type ActivityOutcomeState, type ActivityState, type CancelRequestState, type RetryStateName };

export const ATTEMPT_IN_PROGRESS: readonly ActivityStatus[] = ['started', 'cancelRequested', 'pauseRequested', 'resetRequested'];
export const TERMINAL: readonly ActivityStatus[] = ['completed', 'failed', 'canceled', 'terminated', 'timedOut'];
export const NON_TERMINAL: readonly ActivityStatus[] = ['scheduled', 'started', 'cancelRequested', 'pauseRequested', 'resetRequested', 'paused'];

export const isTerminal = (s: ActivityStatus): boolean => TERMINAL.includes(s);
export const attemptInProgress = (s: ActivityStatus): boolean => ATTEMPT_IN_PROGRESS.includes(s);

/** The options the activity started with (restore_original). */
export const originalOptionsOf = (s: ActivityState): ActivityOptionsState => s.originalOptions ?? s.options;

export interface ActivityInputState {
  /** Encoded Payloads. */
  input: Uint8Array | null;
  /** Encoded Header. */
  header: Uint8Array | null;
}

/** Temporal's public status names, as used by the ExecutionStatus search attribute. */
export function publicStatusName(s: ActivityStatus): string {
  switch (s) {
    case 'paused':
      return 'Paused';
    case 'completed':
      return 'Completed';
    case 'failed':
      return 'Failed';
    case 'canceled':
      return 'Canceled';
    case 'terminated':
      return 'Terminated';
    case 'timedOut':
      return 'TimedOut';
    default:
      return 'Running';
  }
}

function lifecycleOf(s: ActivityState): Lifecycle {
  // PAUSED stays 'running' on purpose: the framework's 'paused' lifecycle invalidates every task
  // of the component, but the schedule-to-close timer must keep running while paused (B.7).
  if (s.status === 'completed') return 'completed';
  return isTerminal(s.status) ? 'failed' : 'running';
}

function executionStatusOf(s: ActivityState): ExecutionStatus {
  switch (s.status) {
    case 'completed':
      return 'completed';
    case 'canceled':
      return 'canceled';
    case 'terminated':
      return 'terminated';
    case 'timedOut':
      return 'timedOut';
    default:
      return 'failed';
  }
}

/**
 * The search attributes of a standalone activity. Not 'ExecutionStatus' for the status: that name
 * is the built-in status column, which has no 'Paused'.
 */
export const ACTIVITY_SEARCH_ATTRIBUTE_TYPES = {
  ActivityId: 'Keyword',
  ActivityType: 'Keyword',
  TaskQueue: 'Keyword',
  ActivityExecutionStatus: 'Keyword',
} as const;

/**
 * Late-bound hooks: the component definition must not import the modules that implement its
 * behaviour (they import it), so they register here (lazy-start.ts).
 */
export const activityHooks: {
  settleSpeculative?: (activity: ComponentOf<typeof Activity>, ctx: MutableContext) => void;
} = {};

/** The standalone activity: a root component, its own archetype `activity.activity`. */
export const Activity = lib.component({
  name: 'activity',
  // 2: originalOptions may be null (see ActivityState), and the root is written by
  // activityStateCodec (fields at their initial value left out). A version-1 state is complete
  // and always holds the copy: the codec reads it, and it is a valid version-2 state as it is.
  schemaVersion: 2,
  migrate: (state) => state as ActivityState,
  codec: activityStateCodec,
  children: { input: dataOf<ActivityInputState>() },
  lifecycle: lifecycleOf,
  executionStatus: executionStatusOf,
  searchAttributeTypes: ACTIVITY_SEARCH_ATTRIBUTE_TYPES,
  searchAttributes: (s: ActivityState) => ({
    ActivityId: s.activityId,
    ActivityType: s.activityType,
    TaskQueue: s.options.taskQueue,
    // Not 'ExecutionStatus': that name is the built-in status column, which has no 'Paused'.
    ActivityExecutionStatus: publicStatusName(s.status),
  }),
  terminate(activity, ctx, reason) {
    // engine.delete on a running activity terminates it first (reference B.6).
    closeTerminated(activity.state, ctx.now.getTime(), reason, '');
  },
  settleSpeculative(activity, ctx) {
    activityHooks.settleSpeculative?.(activity, ctx);
  },
});
export type ActivityComponent = ComponentOf<typeof Activity>;

export type ActivityTarget = RootTarget<ActivityState, (typeof Activity)['children']>;

/** An activity by id: the given run, or the current one when `runId` is empty. */
export const activityTarget = (namespaceId: string, activityId: string, runId?: string | null): ActivityTarget => ({
  type: Activity,
  namespaceId,
  businessId: activityId,
  ...(runId ? { runId } : {}),
});

/** Closes as TERMINATED: outcome failure {message: reason, TerminatedFailureInfo{identity}}. */
export function closeTerminated(s: ActivityState, now: number, reason: string, identity: string): void {
  s.status = 'terminated';
  s.closeTime = now;
  s.outcome = {
    result: null,
    failure: encodeFailure({ message: reason, source: 'Server', terminatedFailureInfo: { identity } } as never),
    retryState: 'NON_RETRYABLE_FAILURE',
  };
}
