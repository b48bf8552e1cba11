import { randomInt } from 'node:crypto';
import { InvalidArgumentError, NotFoundError, type MutableContext } from '@chasm/core';
import { decodeMessage, encodeMessage, msToDuration, retryPolicyToProto } from '@chasm/matching';
import { api, Enums, type Duration, type temporal } from '../proto.js';
import { checkDuration, checkRetryPolicy, checkTaskQueueName } from '../grpc/validate.js';
import { readHistory } from '../workflow/history-writer.js';
import type { WorkflowComponent } from '../workflow/workflow.js';
import type { ActivityComponent, ActivityState, RetryPolicySpec } from './activity.js';
import {
  armAttempt,
  armRunningTimers,
  armScheduleToClose,
  clearHeartbeat,
  normaliseRetryPolicy,
  normaliseTimeouts,
} from './activity-state-machine.js';

/**
 * Operator commands on the activities of a workflow run (PauseActivity, UnpauseActivity,
 * ResetActivity, UpdateActivityOptions), as Temporal's `service/history/workflow/activity.go`
 * does them. They write no history events: pause, reset and new options only change when and
 * how the next attempt is dispatched. Each runs inside one `engine.update` of the run.
 */

const Common = api.common.v1;

/** Which activities of the run a request names: one id, every one of a type, or all. */
export type ActivitySelector = { readonly id: string } | { readonly type: string } | { readonly all: true };

/** limit.maxIDLength for task queues named in new options (as for ScheduleActivityTask). */

/** The pending activities a request names; the run must be open and name at least one. */
export function selectActivities(wf: WorkflowComponent, sel: ActivitySelector): ActivityComponent[] {
  if (wf.state.status !== 'running') throw new NotFoundError('workflow execution already completed');
  const all = wf.fields.activities.keys().map((k) => wf.fields.activities.get(k)!);
  const out = 'all' in sel ? all : 'id' in sel ? all.filter((a) => a.state.activityId === sel.id) : all.filter((a) => a.state.activityType === sel.type);
  if (out.length === 0) throw new NotFoundError('activity not found');
  return out;
}

const jittered = (now: number, jitterMs: number): number => now + (jitterMs > 0 ? randomInt(0, Math.min(jitterMs, 2 ** 47)) : 0);

/**
 * Pause: a scheduled activity is not dispatched (the stamp bump makes its dispatch and
 * schedule-to-start timer stale); a running attempt goes on and is told on its next heartbeat.
 * Pausing a paused activity changes nothing. Schedule-to-close keeps running.
 */
export function pauseActivity(a: ActivityComponent, ctx: MutableContext, by: { identity: string; reason: string }): void {
  const s = a.state;
  if (s.paused) return;
  if (s.status === 'scheduled') s.stamp++;
  s.paused = true;
  s.pauseInfo = { time: ctx.now.getTime(), identity: by.identity, reason: by.reason };
}

/**
 * Unpause: a waiting attempt is dispatched now (plus up to `jitter`), not after the retry backoff
 * it was waiting for. On a running attempt it only clears the flag; reset_attempts then applies to
 * the attempt after it (Temporal sets the count at once, which would void the running attempt's
 * token here). An activity that is not paused is left alone.
 */
export function unpauseActivity(a: ActivityComponent, ctx: MutableContext, req: { resetAttempts: boolean; resetHeartbeat: boolean; jitterMs: number }): void {
  const s = a.state;
  if (!s.paused) return;
  s.paused = false;
  s.pauseInfo = null;
  if (req.resetHeartbeat) clearHeartbeat(s);
  if (s.status === 'started') {
    if (req.resetAttempts) s.resetAttemptsOnRetry = true;
    return;
  }
  s.stamp++;
  if (req.resetAttempts) s.attempt = 1;
  const at = jittered(ctx.now.getTime(), req.jitterMs);
  s.currentAttemptScheduledTime = at;
  armAttempt(a, ctx, at);
}

/**
 * Reset: back to attempt 1. A waiting activity is dispatched at once (plus jitter), unless it is
 * paused and keep_paused asks to keep it so. A running attempt is told on its next heartbeat
 * (`activity_reset`) and, when it yields, the activity starts over at attempt 1 without backoff
 * whatever the failure; without keep_paused a pause is lifted now.
 */
export function resetActivity(
  wf: WorkflowComponent,
  a: ActivityComponent,
  ctx: MutableContext,
  req: { resetHeartbeat: boolean; keepPaused: boolean; restoreOriginalOptions: boolean; jitterMs: number },
): void {
  const s = a.state;
  if (req.restoreOriginalOptions) applyOptions(a, ctx, originalOptions(wf, a));
  if (!req.keepPaused && s.paused) {
    s.paused = false;
    s.pauseInfo = null;
  }
  if (s.status === 'started') {
    s.resetPending = { resetHeartbeat: req.resetHeartbeat };
    return;
  }
  s.attempt = 1;
  s.stamp++;
  s.resetAttemptsOnRetry = false;
  if (req.resetHeartbeat) clearHeartbeat(s);
  if (s.paused) return;
  const at = jittered(ctx.now.getTime(), req.jitterMs);
  s.currentAttemptScheduledTime = at;
  armAttempt(a, ctx, at);
}

// ------------------------------------------------------------------------------------ options

/** An activity's options as the state holds them (normalised). */
export interface ActivityOptionValues {
  readonly taskQueue: string;
  readonly s2c: number;
  readonly s2s: number;
  readonly stc: number;
  readonly hb: number;
  readonly retry: RetryPolicySpec;
  readonly priority: Uint8Array | null;
}

/** ActivityOptions as Describe and UpdateActivityOptions show them. */
export function activityOptionsProto(s: ActivityState): temporal.api.activity.v1.IActivityOptions {
  return {
    taskQueue: { name: s.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    scheduleToCloseTimeout: msToDuration(s.scheduleToCloseMs),
    scheduleToStartTimeout: msToDuration(s.scheduleToStartMs),
    startToCloseTimeout: msToDuration(s.startToCloseMs),
    heartbeatTimeout: msToDuration(s.heartbeatMs),
    retryPolicy: retryPolicyToProto(s.retry),
    priority: decodeMessage(Common.Priority, s.priority) ?? {},
  };
}

/** Mask paths UpdateActivityOptions understands (camelCase; snake_case is accepted and converted). */
const MASK_PATHS = new Set([
  'taskQueue',
  'taskQueue.name',
  'scheduleToCloseTimeout',
  'scheduleToStartTimeout',
  'startToCloseTimeout',
  'heartbeatTimeout',
  'priority',
  'priority.priorityKey',
  'priority.fairnessKey',
  'priority.fairnessWeight',
  'retryPolicy',
  'retryPolicy.initialInterval',
  'retryPolicy.backoffCoefficient',
  'retryPolicy.maximumInterval',
  'retryPolicy.maximumAttempts',
  'retryPolicy.nonRetryableErrorTypes',
]);

/** The update mask's paths, camelCased and checked. */
export function parseUpdateMask(mask: temporal.api.workflowservice.v1.IUpdateActivityOptionsRequest['updateMask']): string[] {
  const paths = (mask?.paths ?? []).map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
  for (const p of paths) {
    if (!MASK_PATHS.has(p)) throw new InvalidArgumentError('update_mask', `update_mask path "${p}" is not an updatable activity option.`);
  }
  return paths;
}

/**
 * The options `from` merged into the activity's by the mask (Temporal's `mergeActivityOptions`),
 * then validated and normalised like a ScheduleActivityTask command's. Throws INVALID_ARGUMENT
 * naming the field; changes nothing.
 */
export function mergedOptions(
  wf: WorkflowComponent,
  a: ActivityComponent,
  from: temporal.api.activity.v1.IActivityOptions,
  paths: readonly string[],
  maxIdLength: number,
): ActivityOptionValues {
  const s = a.state;
  const has = (p: string): boolean => paths.includes(p);
  const under = (prefix: string): boolean => paths.some((p) => p.startsWith(`${prefix}.`));
  let taskQueue = s.taskQueue;
  if (has('taskQueue') || has('taskQueue.name')) {
    taskQueue = checkTaskQueueName('activity_options.task_queue.name', from.taskQueue?.name, maxIdLength, 'TaskQueue is not provided');
  }
  const dur = (path: string, value: Duration | null | undefined, field: string, name: string, current: number): number =>
    has(path) ? checkDuration(`activity_options.${field}`, value, `Invalid ${name}.`) : current;
  const raw = {
    s2c: dur('scheduleToCloseTimeout', from.scheduleToCloseTimeout, 'schedule_to_close_timeout', 'ScheduleToCloseTimeout', s.scheduleToCloseMs),
    s2s: dur('scheduleToStartTimeout', from.scheduleToStartTimeout, 'schedule_to_start_timeout', 'ScheduleToStartTimeout', s.scheduleToStartMs),
    stc: dur('startToCloseTimeout', from.startToCloseTimeout, 'start_to_close_timeout', 'StartToCloseTimeout', s.startToCloseMs),
    hb: dur('heartbeatTimeout', from.heartbeatTimeout, 'heartbeat_timeout', 'HeartbeatTimeout', s.heartbeatMs),
  };
  const timeouts = normaliseTimeouts(raw, wf.state.runTimeoutMs);
  if (!timeouts) {
    throw new InvalidArgumentError('activity_options.start_to_close_timeout', 'A valid StartToClose or ScheduleToCloseTimeout is not set on ActivityOptions.');
  }

  let retry: temporal.api.common.v1.IRetryPolicy = retryPolicyToProto(s.retry);
  if (has('retryPolicy')) retry = from.retryPolicy ?? {};
  if (under('retryPolicy')) {
    const p = from.retryPolicy;
    if (!p) throw new InvalidArgumentError('activity_options.retry_policy', 'RetryPolicy is not provided');
    retry = { ...retry };
    if (has('retryPolicy.initialInterval')) retry.initialInterval = p.initialInterval ?? null;
    if (has('retryPolicy.backoffCoefficient')) retry.backoffCoefficient = p.backoffCoefficient ?? 0;
    if (has('retryPolicy.maximumInterval')) retry.maximumInterval = p.maximumInterval ?? null;
    if (has('retryPolicy.maximumAttempts')) retry.maximumAttempts = p.maximumAttempts ?? 0;
    if (has('retryPolicy.nonRetryableErrorTypes')) retry.nonRetryableErrorTypes = p.nonRetryableErrorTypes ?? [];
  }
  checkRetryPolicy('activity_options.retry_policy', retry);

  let priority: temporal.api.common.v1.IPriority = decodeMessage(Common.Priority, s.priority) ?? {};
  if (has('priority')) priority = from.priority ?? {};
  if (under('priority')) {
    const p = from.priority;
    if (!p) throw new InvalidArgumentError('activity_options.priority', 'Priority is not provided');
    priority = { ...priority };
    if (has('priority.priorityKey')) priority.priorityKey = p.priorityKey ?? 0;
    if (has('priority.fairnessKey')) priority.fairnessKey = p.fairnessKey ?? '';
    if (has('priority.fairnessWeight')) priority.fairnessWeight = p.fairnessWeight ?? 0;
  }
  if ((priority.priorityKey ?? 0) < 0) throw new InvalidArgumentError('activity_options.priority.priority_key', 'priority key can\'t be negative');
  if ((priority.fairnessWeight ?? 0) < 0) throw new InvalidArgumentError('activity_options.priority.fairness_weight', 'fairness weight can\'t be negative');

  return {
    taskQueue,
    ...timeouts,
    retry: normaliseRetryPolicy(retry),
    priority: encodeMessage(Common.Priority, priority as temporal.api.common.v1.Priority),
  };
}

/** The options of the activity's ActivityTaskScheduled event (restore_original). */
export function originalOptions(wf: WorkflowComponent, a: ActivityComponent): ActivityOptionValues {
  const id = a.state.scheduledEventId;
  const attrs = readHistory(wf, id, id)[0]?.activityTaskScheduledEventAttributes;
  if (!attrs) throw new InvalidArgumentError('restore_original', 'ActivityTaskScheduledEvent is invalid');
  return {
    taskQueue: attrs.taskQueue?.name ?? a.state.taskQueue,
    s2c: checkDuration('schedule_to_close_timeout', attrs.scheduleToCloseTimeout, 'Invalid ScheduleToCloseTimeout.'),
    s2s: checkDuration('schedule_to_start_timeout', attrs.scheduleToStartTimeout, 'Invalid ScheduleToStartTimeout.'),
    stc: checkDuration('start_to_close_timeout', attrs.startToCloseTimeout, 'Invalid StartToCloseTimeout.'),
    hb: checkDuration('heartbeat_timeout', attrs.heartbeatTimeout, 'Invalid HeartbeatTimeout.'),
    retry: normaliseRetryPolicy(attrs.retryPolicy),
    priority: encodeMessage(Common.Priority, attrs.priority as temporal.api.common.v1.Priority | null | undefined),
  };
}

/**
 * Stores new options and re-arms what depends on them (Temporal bumps the stamp and regenerates
 * the timers): schedule-to-close from the schedule time, a running attempt's start-to-close and
 * heartbeat timers from its start (and last heartbeat), a waiting attempt's dispatch (to the new
 * task queue) at its due time.
 */
export function applyOptions(a: ActivityComponent, ctx: MutableContext, o: ActivityOptionValues): void {
  const s = a.state;
  s.taskQueue = o.taskQueue;
  s.scheduleToCloseMs = o.s2c;
  s.scheduleToStartMs = o.s2s;
  s.startToCloseMs = o.stc;
  s.heartbeatMs = o.hb;
  s.retry = o.retry;
  s.priority = o.priority;
  s.stamp++;
  armScheduleToClose(a, ctx);
  if (s.status === 'started') armRunningTimers(a, ctx);
  else if (!s.paused) armAttempt(a, ctx, Math.max(ctx.now.getTime(), s.currentAttemptScheduledTime));
}
