import type { ActivityOptionsState } from './activity-options.js';

/*
 * The activity root's state and status types, apart from the component (activity.ts) so that
 * its codec (activity-state-codec.ts) can name them without importing the component that uses it.
 */

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
  /**
   * The start guard of the scheduled attempt (ADR 0065): until then a poller may start it in
   * memory, written with the attempt's next commit; null when no guard is pending for it (the
   * attempt was started with a commit, or the guard ran).
   */
  startGuardAt: number | null;
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
