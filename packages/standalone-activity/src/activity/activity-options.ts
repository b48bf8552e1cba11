import { InvalidArgumentError } from '@chasm/core';
import { durationToMs, effectivePriority, optionalDurationToMs, type ProtoTime, type temporal } from '@chasm/matching';

/** A retry policy with every default filled in (reference B.2). A standalone activity always has one. */
export interface RetryPolicyState {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

export interface PriorityState {
  /** 0 = unset (matching treats it as the default, 3). */
  priorityKey: number;
  fairnessKey: string;
  /** 0 = unset. */
  fairnessWeight: number;
}

/** Normalised options; every timeout in ms, 0 meaning "none". */
export interface ActivityOptionsState {
  taskQueue: string;
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  startDelayMs: number;
  retry: RetryPolicyState;
  priority: PriorityState;
}

const HUNDRED_YEARS_MS = 100 * 365 * 24 * 3600 * 1000;
const TIMEOUT_TYPES = new Set(['START_TO_CLOSE', 'SCHEDULE_TO_START', 'SCHEDULE_TO_CLOSE', 'HEARTBEAT']);

function timeout(field: string, d: ProtoTime | null | undefined): number {
  const ms = optionalDurationToMs(d, field);
  if (ms === undefined) return 0;
  if (ms < 0) throw new InvalidArgumentError(field, `${field} must not be negative`);
  return Math.min(ms, HUNDRED_YEARS_MS);
}

/** Timeouts as in reference B.2 (`validateAndNormalizeTimeouts`). */
export function normalizeTimeouts(
  raw: { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number },
  ids: { activityId: string; activityType: string },
): { scheduleToCloseMs: number; scheduleToStartMs: number; startToCloseMs: number; heartbeatMs: number } {
  let { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: stc } = raw;
  if (s2c > 0) {
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    stc = stc > 0 ? Math.min(stc, s2c) : s2c;
  } else if (stc > 0) {
    s2c = 0;
  } else {
    throw new InvalidArgumentError(
      'start_to_close_timeout',
      `a valid StartToCloseTimeout or ScheduleToCloseTimeout must be set on the activity. ActivityId=${ids.activityId} ActivityType=${ids.activityType}`,
    );
  }
  const heartbeatMs = Math.min(raw.heartbeatMs, stc);
  return { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: stc, heartbeatMs };
}

/** Fills defaults (initial 1 s, coefficient 2, max 100 × initial, unlimited attempts), then validates. */
export function normalizeRetryPolicy(p: temporal.api.common.v1.IRetryPolicy | null | undefined): RetryPolicyState {
  const initialIntervalMs = durationToMs(p?.initialInterval, 'retry_policy.initial_interval') || 1000;
  const backoffCoefficient = p?.backoffCoefficient || 2;
  const maximumIntervalMs = durationToMs(p?.maximumInterval, 'retry_policy.maximum_interval') || 100 * initialIntervalMs;
  const maximumAttempts = p?.maximumAttempts ?? 0;
  const nonRetryableErrorTypes = [...(p?.nonRetryableErrorTypes ?? [])];
  if (initialIntervalMs < 0) throw new InvalidArgumentError('retry_policy.initial_interval', 'InitialInterval cannot be negative on retry policy.');
  if (backoffCoefficient < 1) throw new InvalidArgumentError('retry_policy.backoff_coefficient', 'BackoffCoefficient cannot be less than 1 on retry policy.');
  if (maximumIntervalMs < initialIntervalMs) {
    throw new InvalidArgumentError('retry_policy.maximum_interval', 'MaximumInterval cannot be less than InitialInterval on retry policy.');
  }
  if (maximumAttempts < 0) throw new InvalidArgumentError('retry_policy.maximum_attempts', 'MaximumAttempts cannot be negative on retry policy.');
  for (const t of nonRetryableErrorTypes) {
    if (t.startsWith('TemporalTimeout:') && !TIMEOUT_TYPES.has(t.slice('TemporalTimeout:'.length))) {
      throw new InvalidArgumentError('retry_policy.non_retryable_error_types', `invalid timeout type value: ${t}`);
    }
  }
  return { initialIntervalMs, backoffCoefficient, maximumIntervalMs, maximumAttempts, nonRetryableErrorTypes };
}

export function normalizePriority(p: temporal.api.common.v1.IPriority | null | undefined): PriorityState {
  const priorityKey = p?.priorityKey ?? 0;
  const fairnessKey = p?.fairnessKey ?? '';
  const fairnessWeight = p?.fairnessWeight ?? 0;
  if (priorityKey < 0) throw new InvalidArgumentError('priority.priority_key', 'priority key must not be negative');
  if (Buffer.byteLength(fairnessKey) > 64) throw new InvalidArgumentError('priority.fairness_key', 'fairness key must be at most 64 bytes');
  if (fairnessWeight < 0) throw new InvalidArgumentError('priority.fairness_weight', 'fairness weight must not be negative');
  // The rest of what matching refuses at dispatch (a weight outside [0.001, 1000]), refused here
  // so that no activity waits forever on a dispatch that cannot succeed.
  effectivePriority({ priorityKey, fairnessKey, fairnessWeight }, 'priority');
  return { priorityKey, fairnessKey, fairnessWeight };
}

/** Builds normalised options from the timeout/retry/priority fields shared by Start and UpdateOptions. */
export function normalizeOptions(
  req: {
    taskQueue?: temporal.api.taskqueue.v1.ITaskQueue | null;
    scheduleToCloseTimeout?: ProtoTime | null;
    scheduleToStartTimeout?: ProtoTime | null;
    startToCloseTimeout?: ProtoTime | null;
    heartbeatTimeout?: ProtoTime | null;
    retryPolicy?: temporal.api.common.v1.IRetryPolicy | null;
    priority?: temporal.api.common.v1.IPriority | null;
    startDelay?: ProtoTime | null;
  },
  ids: { activityId: string; activityType: string },
  maxIdLength: number,
): ActivityOptionsState {
  const taskQueue = req.taskQueue?.name ?? '';
  if (!taskQueue) throw new InvalidArgumentError('task_queue', 'TaskQueue is not set on request.');
  if (taskQueue.length > maxIdLength) throw new InvalidArgumentError('task_queue', 'TaskQueue length exceeds limit.');
  if (taskQueue.startsWith('/_sys/')) throw new InvalidArgumentError('task_queue', 'task queue name must be user-defined');
  // A NUL would be stored, then refused by matching on every dispatch attempt.
  if (taskQueue.includes('\u0000')) throw new InvalidArgumentError('task_queue', 'taskQueue contains a NUL character');
  const timeouts = normalizeTimeouts(
    {
      scheduleToCloseMs: timeout('schedule_to_close_timeout', req.scheduleToCloseTimeout),
      scheduleToStartMs: timeout('schedule_to_start_timeout', req.scheduleToStartTimeout),
      startToCloseMs: timeout('start_to_close_timeout', req.startToCloseTimeout),
      heartbeatMs: timeout('heartbeat_timeout', req.heartbeatTimeout),
    },
    ids,
  );
  return {
    taskQueue,
    ...timeouts,
    startDelayMs: timeout('start_delay', req.startDelay),
    retry: normalizeRetryPolicy(req.retryPolicy),
    priority: normalizePriority(req.priority),
  };
}

/**
 * A deep copy of normalised options. Not structuredClone: that serialises through V8's
 * structured-clone machinery and was the costliest line of this package's start path (1.7 % of
 * the server's busy samples in the activity bench, issue 16); the shape here is fixed and flat.
 */
export function cloneOptions(o: ActivityOptionsState): ActivityOptionsState {
  return {
    taskQueue: o.taskQueue,
    scheduleToCloseMs: o.scheduleToCloseMs,
    scheduleToStartMs: o.scheduleToStartMs,
    startToCloseMs: o.startToCloseMs,
    heartbeatMs: o.heartbeatMs,
    startDelayMs: o.startDelayMs,
    retry: { ...o.retry, nonRetryableErrorTypes: [...o.retry.nonRetryableErrorTypes] },
    priority: { ...o.priority },
  };
}

export function priorityToProto(p: PriorityState): temporal.api.common.v1.IPriority {
  return { priorityKey: p.priorityKey, fairnessKey: p.fairnessKey, fairnessWeight: p.fairnessWeight };
}

/** The policy's backoff for a failed attempt: initial × coeff^(attempt−1), capped, no jitter. */
export function policyBackoffMs(r: RetryPolicyState, attempt: number): number {
  const d = r.initialIntervalMs * Math.pow(r.backoffCoefficient, Math.max(0, attempt - 1));
  return Math.min(d, r.maximumIntervalMs);
}
