import type { Context, VisibilityRecord } from '@chasm/core';
import { isTerminal, type ActivityComponent, type ActivityState, type ActivityStatus } from '../activity/activity.js';
import { priorityToProto, type ActivityOptionsState } from '../activity/activity-options.js';
import { scheduleToCloseDeadline } from '../activity/activity.tasks.js';
import { decodeFailure, decodeHeader, decodePayloads, msToDuration, msToTimestamp, retryPolicyToProto, type Timestamp, type temporal } from '@chasm/matching';

/** State → response messages, as plain objects the server encodes with `fromObject`. */

const STATUS_ENUM: Readonly<Record<string, string>> = {
  Running: 'ACTIVITY_EXECUTION_STATUS_RUNNING',
  Paused: 'ACTIVITY_EXECUTION_STATUS_PAUSED',
  Completed: 'ACTIVITY_EXECUTION_STATUS_COMPLETED',
  Failed: 'ACTIVITY_EXECUTION_STATUS_FAILED',
  Canceled: 'ACTIVITY_EXECUTION_STATUS_CANCELED',
  Terminated: 'ACTIVITY_EXECUTION_STATUS_TERMINATED',
  TimedOut: 'ACTIVITY_EXECUTION_STATUS_TIMED_OUT',
};

export function statusEnum(s: ActivityStatus): string {
  switch (s) {
    case 'paused':
      return STATUS_ENUM['Paused']!;
    case 'completed':
      return STATUS_ENUM['Completed']!;
    case 'failed':
      return STATUS_ENUM['Failed']!;
    case 'canceled':
      return STATUS_ENUM['Canceled']!;
    case 'terminated':
      return STATUS_ENUM['Terminated']!;
    case 'timedOut':
      return STATUS_ENUM['TimedOut']!;
    default:
      return STATUS_ENUM['Running']!;
  }
}

/** run_state (B.3 table). */
export function runStateEnum(s: ActivityState): string {
  switch (s.status) {
    case 'scheduled':
      return 'PENDING_ACTIVITY_STATE_SCHEDULED';
    case 'started':
      return 'PENDING_ACTIVITY_STATE_STARTED';
    case 'cancelRequested':
      return 'PENDING_ACTIVITY_STATE_CANCEL_REQUESTED';
    case 'pauseRequested':
      return 'PENDING_ACTIVITY_STATE_PAUSE_REQUESTED';
    case 'resetRequested':
      return s.pendingReset?.keepPaused ? 'PENDING_ACTIVITY_STATE_PAUSE_REQUESTED' : 'PENDING_ACTIVITY_STATE_STARTED';
    case 'paused':
      return 'PENDING_ACTIVITY_STATE_PAUSED';
    default:
      return 'PENDING_ACTIVITY_STATE_UNSPECIFIED';
  }
}

const ts = (ms: number | null): Timestamp | null => (ms === null ? null : msToTimestamp(ms));

export function optionsToProto(o: ActivityOptionsState): temporal.api.activity.v1.IActivityOptions {
  return {
    taskQueue: { name: o.taskQueue },
    scheduleToCloseTimeout: msToDuration(o.scheduleToCloseMs),
    scheduleToStartTimeout: msToDuration(o.scheduleToStartMs),
    startToCloseTimeout: msToDuration(o.startToCloseMs),
    heartbeatTimeout: msToDuration(o.heartbeatMs),
    retryPolicy: retryPolicyToProto(o.retry),
    priority: priorityToProto(o.priority),
    startDelay: msToDuration(o.startDelayMs),
  } as unknown as temporal.api.activity.v1.IActivityOptions;
}

export function outcomeToProto(s: ActivityState): Record<string, unknown> | null {
  if (!s.outcome || !isTerminal(s.status)) return null;
  const retryState = `RETRY_STATE_${s.outcome.retryState}`;
  if (s.status === 'completed') return { result: decodePayloads(s.outcome.result) ?? { payloads: [] }, retryState };
  return { failure: decodeFailure(s.outcome.failure ?? s.lastFailure), retryState };
}

export function describeInfo(
  a: ActivityComponent,
  ctx: Context,
  opts: { includeHeartbeatDetails: boolean; includeLastFailure: boolean },
): Record<string, unknown> {
  const s = a.state;
  const o = s.options;
  const now = ctx.now.getTime();
  const closed = isTerminal(s.status);
  const waitingForDispatch = s.status === 'scheduled' && s.dispatchTime > now;
  const input = a.fields.input.get();
  return {
    activityId: s.activityId,
    runId: ctx.key.runId,
    activityType: { name: s.activityType },
    status: statusEnum(s.status),
    runState: runStateEnum(s),
    taskQueue: o.taskQueue,
    scheduleToCloseTimeout: msToDuration(o.scheduleToCloseMs),
    scheduleToStartTimeout: msToDuration(o.scheduleToStartMs),
    startToCloseTimeout: msToDuration(o.startToCloseMs),
    heartbeatTimeout: msToDuration(o.heartbeatMs),
    retryPolicy: retryPolicyToProto(o.retry),
    attempt: s.attempt,
    scheduleTime: ts(s.scheduleTime),
    executionTime: ts(s.scheduleTime + o.startDelayMs),
    expirationTime: o.scheduleToCloseMs > 0 ? ts(scheduleToCloseDeadline(s)) : null,
    closeTime: closed ? ts(s.closeTime) : null,
    executionDuration: closed && s.closeTime !== null ? msToDuration(s.closeTime - s.scheduleTime) : null,
    lastStartedTime: ts(s.startedTime),
    lastAttemptCompleteTime: ts(s.lastAttemptCompleteTime),
    currentRetryInterval: waitingForDispatch && s.retryIntervalMs !== null ? msToDuration(s.retryIntervalMs) : null,
    nextAttemptScheduleTime: waitingForDispatch ? ts(s.dispatchTime) : null,
    lastHeartbeatTime: ts(s.lastHeartbeatTime),
    totalHeartbeatCount: s.heartbeatCount,
    lastWorkerIdentity: s.lastWorkerIdentity,
    priority: priorityToProto(o.priority),
    canceledReason: s.cancel?.reason ?? '',
    sdkName: s.sdkName,
    sdkVersion: s.sdkVersion,
    stateTransitionCount: ctx.transitionCount,
    startDelay: o.startDelayMs > 0 ? msToDuration(o.startDelayMs) : null,
    header: decodeHeader(input?.header),
    heartbeatDetails: opts.includeHeartbeatDetails ? decodePayloads(s.heartbeatDetails) : null,
    lastFailure: opts.includeLastFailure ? decodeFailure(s.lastFailure) : null,
  };
}

/** The PollActivityTaskQueueResponse for a just-started attempt (B.4, workflow-semantics §2.4). */
export function pollResponse(a: ActivityComponent, ctx: Context, namespace: string, taskToken: Uint8Array): Record<string, unknown> {
  const s = a.state;
  const o = s.options;
  const input = a.fields.input.get();
  return {
    taskToken,
    workflowNamespace: namespace,
    activityType: { name: s.activityType },
    activityId: s.activityId,
    activityRunId: ctx.key.runId,
    header: decodeHeader(input?.header) ?? { fields: {} },
    input: decodePayloads(input?.input) ?? { payloads: [] },
    heartbeatDetails: decodePayloads(s.heartbeatDetails),
    scheduledTime: ts(s.scheduleTime),
    currentAttemptScheduledTime: ts(s.dispatchTime),
    startedTime: ts(s.startedTime),
    attempt: s.attempt,
    // Must be non-nil even when unlimited: the TS worker requires it (0 = no limit).
    scheduleToCloseTimeout: msToDuration(o.scheduleToCloseMs),
    startToCloseTimeout: msToDuration(o.startToCloseMs),
    heartbeatTimeout: msToDuration(o.heartbeatMs),
    retryPolicy: retryPolicyToProto(o.retry),
    priority: priorityToProto(o.priority),
  };
}

export function listInfo(r: VisibilityRecord): Record<string, unknown> {
  const sa = r.searchAttributes;
  const str = (k: string): string => (typeof sa[k] === 'string' ? (sa[k] as string) : '');
  const start = r.startTime.getTime();
  const close = r.closeTime?.getTime() ?? null;
  return {
    activityId: str('ActivityId') || r.businessId,
    runId: r.runId,
    activityType: { name: str('ActivityType') },
    scheduleTime: ts(start),
    closeTime: ts(close),
    status: STATUS_ENUM[str('ActivityExecutionStatus')] ?? 'ACTIVITY_EXECUTION_STATUS_UNSPECIFIED',
    taskQueue: str('TaskQueue'),
    stateTransitionCount: r.transitionCount,
    executionDuration: close !== null ? msToDuration(close - start) : null,
    executionTime: ts(start),
  };
}
