import { lib } from '../library-builder.js';
import { dataOf, type ComponentOf, type ExecutionStatus, type Lifecycle, type RootTarget } from '@chasm/core';
import { encodeFailure } from '@chasm/matching';
import type { ActivityOptionsState } from './activity-options.js';
import { activityStateCodec } from './activity-state-codec.js';

/** Internal statuses (reference B.3). Persisted: renaming one is a migration. */
export const ActivityStatus = {
  Scheduled: 'scheduled',
  Started: 'started',
  CancelRequested: 'cancelRequested',
  PauseRequested: 'pauseRequested',
  ResetRequested: 'resetRequested',
  Paused: 'paused',
  Completed: 'completed',
  Failed: 'failed',
  Canceled: 'canceled',
  Terminated: 'terminated',
  TimedOut: 'timedOut',
} as const;
export type ActivityStatus = (typeof ActivityStatus)[keyof typeof ActivityStatus];

export const ATTEMPT_IN_PROGRESS: readonly ActivityStatus[] = ['started', 'cancelRequested', 'pauseRequested', 'resetRequested'];
export const TERMINAL: readonly ActivityStatus[] = ['completed', 'failed', 'canceled', 'terminated', 'timedOut'];
export const NON_TERMINAL: readonly ActivityStatus[] = ['scheduled', 'started', 'cancelRequested', 'pauseRequested', 'resetRequested', 'paused'];

export const isTerminal = (s: ActivityStatus): boolean => TERMINAL.includes(s);
export const attemptInProgress = (s: ActivityStatus): boolean => ATTEMPT_IN_PROGRESS.includes(s);

/** temporal.api.enums.v1.RetryState names, without the prefix. */
export type RetryStateName =
  | 'IN_PROGRESS'
  | 'NON_RETRYABLE_FAILURE'
  | 'TIMEOUT'
  | 'MAXIMUM_ATTEMPTS_REACHED'
  | 'RETRY_POLICY_NOT_SET'
  | 'INTERNAL_SERVER_ERROR'
  | 'CANCEL_REQUESTED';

export interface ActivityOutcomeState {
  /** Encoded temporal.api.common.v1.Payloads (success). */
  result: Uint8Array | null;
  /** Encoded temporal.api.failure.v1.Failure (anything else). */
  failure: Uint8Array | null;
  retryState: RetryStateName;
}

export interface CancelRequestState {
  requestId: string;
  reason: string;
  identity: string;
  time: number;
}

/**
 * State of `activity.activity`. Times are epoch milliseconds. Input and header live in the
 * `input` data child so the (possibly large) input is written once, not at every commit.
 */
export interface ActivityState {
  activityId: string;
  activityType: string;
  status: ActivityStatus;
  options: ActivityOptionsState;
  /**
   * The options at start, for reset/updateOptions restore_original; null while `options` never
   * changed (they are the original ones then). Kept out of the state until the first change
   * because the root is encoded and written at every commit and most activities never change
   * their options: a second copy was a quarter of the root's bytes (schema version 2; version 1
   * always held a copy, which reads the same).
   */
  originalOptions: ActivityOptionsState | null;
  identity: string;
  scheduleTime: number;
  /** Current attempt number (1-based). */
  attempt: number;
  /** Bumped at every (re)schedule, pause and options change: dispatch and attempt timers carry it. */
  stamp: number;
  /** When the current attempt is (or was) due to be dispatched: current_attempt_scheduled_time. */
  dispatchTime: number;
  startedTime: number | null;
  firstStartedTime: number | null;
  lastAttemptCompleteTime: number | null;
  /** The backoff before the pending attempt; null when none is pending. */
  retryIntervalMs: number | null;
  lastHeartbeatTime: number | null;
  heartbeatCount: number;
  heartbeatDetails: Uint8Array | null;
  lastFailure: Uint8Array | null;
  lastWorkerIdentity: string;
  sdkName: string;
  sdkVersion: string;
  cancel: CancelRequestState | null;
  terminateRequestId: string | null;
  lastPauseRequestId: string | null;
  lastUnpauseRequestId: string | null;
  lastResetRequestId: string | null;
  lastUpdateRequestId: string | null;
  /** Reset asked while an attempt ran: applied when the worker yields. */
  pendingReset: { keepPaused: boolean; resetHeartbeat: boolean; restoreOriginal: boolean } | null;
  closeTime: number | null;
  outcome: ActivityOutcomeState | null;
}

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
