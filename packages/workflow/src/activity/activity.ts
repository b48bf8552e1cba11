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
}

export const Activity = lib.component({
  name: 'activity',
  // Removed from the tree when it reaches a terminal outcome, so it is always "running".
  lifecycle: (_s: ActivityState) => 'running',
});
export type ActivityComponent = ComponentOf<typeof Activity>;
