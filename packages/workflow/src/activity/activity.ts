import type { TaskPriority } from '@chasm/matching';
import { lib } from '../library-builder.js';
import { type ComponentOf } from '@chasm/core';

/** Normalised retry policy of an activity (Temporal defaults applied). */
export interface RetryPolicySpec {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

/** An activity scheduled by a workflow, from ActivityTaskScheduled until its terminal event. */
export interface ActivityState {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  /** Encoded Header / Payloads / Priority. */
  header: Uint8Array | null;
  input: Uint8Array | null;
  priority: Uint8Array | null;
  /** What matching gets: the workflow's priority merged with `priority`; absent = default. */
  dispatchPriority?: TaskPriority;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retry: RetryPolicySpec;
  attempt: number;
  status: 'scheduled' | 'started';
  scheduledTime: number;
  currentAttemptScheduledTime: number;
  startedTime: number;
  startedIdentity: string;
  startedRequestId: string;
  /** Encoded Failure of the previous attempt. */
  lastFailure: Uint8Array | null;
  /** Encoded Payloads. */
  heartbeatDetails: Uint8Array | null;
  lastHeartbeatTime: number;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
  /** Bumped whenever a timeout must be re-armed (heartbeat) or an attempt changes. */
  stamp: number;
  /**
   * Operator pause (PauseActivity). A scheduled attempt is not dispatched; a running one learns
   * it from its heartbeat response and, when it yields with retries left, the next attempt waits.
   */
  paused: boolean;
  pauseInfo: PauseInfo | null;
  /** ResetActivity on a running attempt: applied when the attempt yields (back to attempt 1). */
  resetPending: { resetHeartbeat: boolean } | null;
  /** UnpauseActivity(reset_attempts) on a running attempt: the next attempt is attempt 1. */
  resetAttemptsOnRetry: boolean;
}

/** Who paused the activity, when and why (PendingActivityInfo.pause_info, manual). */
export interface PauseInfo {
  time: number;
  identity: string;
  reason: string;
}

/** Fields added by schema version 2 (operator commands), with their values for older state. */
const V2_DEFAULTS: Pick<ActivityState, 'paused' | 'pauseInfo' | 'resetPending' | 'resetAttemptsOnRetry'> = {
  paused: false,
  pauseInfo: null,
  resetPending: null,
  resetAttemptsOnRetry: false,
};

export const Activity = lib.component({
  name: 'activity',
  schemaVersion: 2,
  migrate: (state: unknown): ActivityState => ({ ...V2_DEFAULTS, ...(state as Omit<ActivityState, keyof typeof V2_DEFAULTS>) }),
  // Removed from the tree when it reaches a terminal outcome, so it is always "running".
  lifecycle: (_s: ActivityState) => 'running',
});
export type ActivityComponent = ComponentOf<typeof Activity>;
