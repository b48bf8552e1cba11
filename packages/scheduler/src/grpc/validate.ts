import { InvalidArgumentError } from '@chasm/core';
import { durationToMs, optionalDurationToMs, optionalTimestampToMs, temporalProto, type ProtoTime, type temporal } from '@chasm/matching';
import type { SchedulerConfig } from '../config.js';
import { canonicalizeSpec, compileSpec, type CanonicalSpec, type ScheduleSpecInput } from '@chasm/schedule-spec';
import { OVERLAP_POLICIES, type OverlapPolicy } from '../scheduler/scheduler-state.js';

/**
 * Front-door checks of schedule requests (reference A.1, Temporal's frontend CreateSchedule,
 * UpdateSchedule and PatchSchedule): INVALID_ARGUMENT naming the field, before anything is stored.
 */

const { WorkflowIdReusePolicy } = temporalProto.temporal.api.enums.v1;
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');
/** Temporal checks the action's id with a timestamp appended: the id the started workflows get. */
const TIMESTAMP_SUFFIX = '-2009-11-10T23:00:00Z';
/** Temporal checks the schedule id with the prefix of its V1 workflow, to be able to roll back. */
const V1_WORKFLOW_PREFIX = 'temporal-sys-scheduler:';
const NOTES_LIMIT = 1000;

function checkId(field: string, v: string | null | undefined, max: number, name: string, prefixLength = 0): string {
  const s = v ?? '';
  if (s === '') throw new InvalidArgumentError(field, `${name} is not set on request.`);
  if (byteLength(s) + prefixLength > max) throw new InvalidArgumentError(field, `${name} length exceeds limit.`);
  if (s.includes('\u0000')) throw new InvalidArgumentError(field, `${name} contains a NUL character.`);
  return s;
}

export function checkScheduleId(id: string | null | undefined, config: SchedulerConfig): string {
  return checkId('schedule_id', id, config.maxIdLength, 'ScheduleId', byteLength(V1_WORKFLOW_PREFIX));
}

export function checkRequestId(id: string | null | undefined, config: SchedulerConfig): string {
  const s = id ?? '';
  if (s === '') throw new InvalidArgumentError('request_id', 'RequestId is not set on request.');
  if (byteLength(s) > config.maxIdLength) throw new InvalidArgumentError('request_id', 'RequestId length exceeds limit.');
  return s;
}

export function checkNotes(field: string, notes: string | null | undefined): string {
  const s = notes ?? '';
  if (byteLength(s) > NOTES_LIMIT) throw new InvalidArgumentError(field, 'Schedule notes exceeds limit.');
  return s;
}

export function overlapPolicyName(field: string, v: number | null | undefined): OverlapPolicy {
  const p = OVERLAP_POLICIES[v ?? 0];
  if (p === undefined) throw new InvalidArgumentError(field, `unknown overlap policy ${v}`);
  return p;
}

/** The validated parts of a Schedule the component keeps. */
export interface CheckedSchedule {
  readonly spec: CanonicalSpec;
  readonly action: temporal.api.schedule.v1.IScheduleAction | null;
  readonly overlapPolicy: OverlapPolicy;
  readonly catchupWindowMs: number;
  readonly pauseOnFailure: boolean;
  readonly keepOriginalWorkflowId: boolean;
  readonly paused: boolean;
  readonly notes: string;
  readonly limitedActions: boolean;
  readonly remainingActions: number;
}

/** Validates and canonicalizes a Schedule (spec strings become structured calendars and intervals). */
export function checkSchedule(schedule: temporal.api.schedule.v1.ISchedule | null | undefined, config: SchedulerConfig): CheckedSchedule {
  if (!schedule) throw new InvalidArgumentError('schedule', 'Schedule is not set on request.');
  const specInput = (schedule.spec ?? {}) as ScheduleSpecInput;
  let spec: CanonicalSpec;
  try {
    compileSpec(specInput); // checks the time zone too
    spec = canonicalizeSpec(specInput);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`schedule.${e.field}`, `Invalid schedule spec: ${e.message}`);
    throw e;
  }
  // Ours (issue 10): a jitter longer than an interval would reorder the times it spreads.
  for (const [i, iv] of spec.interval.entries()) {
    if (spec.jitterMs > iv.intervalSeconds * 1000) {
      throw new InvalidArgumentError('schedule.spec.jitter', `Invalid schedule spec: jitter is longer than interval[${i}]`);
    }
  }
  const action = schedule.action ?? null;
  if (action) checkAction(action, config);
  const policies = schedule.policies ?? {};
  const state = schedule.state ?? {};
  const remaining = Number(state.remainingActions ?? 0);
  if (!Number.isSafeInteger(remaining) || remaining < 0) throw new InvalidArgumentError('schedule.state.remaining_actions', 'remaining_actions must not be negative');
  return {
    spec,
    action,
    overlapPolicy: overlapPolicyName('schedule.policies.overlap_policy', policies.overlapPolicy),
    catchupWindowMs: Math.max(0, optionalDurationToMs(policies.catchupWindow as ProtoTime | null | undefined, 'schedule.policies.catchup_window') ?? 0),
    pauseOnFailure: policies.pauseOnFailure === true,
    keepOriginalWorkflowId: policies.keepOriginalWorkflowId === true,
    paused: state.paused === true,
    notes: checkNotes('schedule.state.notes', state.notes),
    limitedActions: state.limitedActions === true,
    remainingActions: remaining,
  };
}

function checkAction(action: temporal.api.schedule.v1.IScheduleAction, config: SchedulerConfig): void {
  const wf = action.startWorkflow;
  if (!wf) throw new InvalidArgumentError('schedule.action.start_workflow', 'the schedule action must start a workflow');
  const f = (name: string) => `schedule.action.start_workflow.${name}`;
  checkId(f('workflow_id'), wf.workflowId, config.maxIdLength, 'WorkflowId', byteLength(TIMESTAMP_SUFFIX));
  checkId(f('workflow_type'), wf.workflowType?.name, config.maxIdLength, 'WorkflowType');
  const queue = checkId(f('task_queue'), wf.taskQueue?.name, config.maxIdLength, 'TaskQueue');
  if (queue.startsWith('/_sys/')) throw new InvalidArgumentError(f('task_queue'), `task queue name cannot start with reserved prefix /_sys/`);
  for (const [name, d] of [
    ['workflow_execution_timeout', wf.workflowExecutionTimeout],
    ['workflow_run_timeout', wf.workflowRunTimeout],
    ['workflow_task_timeout', wf.workflowTaskTimeout],
  ] as const) {
    if (d && durationToMs(d as ProtoTime, f(name)) < 0) throw new InvalidArgumentError(f(name), `An invalid ${name} is set on request.`);
  }
  if (wf.cronSchedule) throw new InvalidArgumentError(f('cron_schedule'), 'Scheduled workflow must not contain CronSchedule');
  const reuse = wf.workflowIdReusePolicy ?? 0;
  if (reuse !== WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED && reuse !== WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE) {
    throw new InvalidArgumentError(f('workflow_id_reuse_policy'), 'The workflow id reuse policy of a scheduled workflow must be unspecified or ALLOW_DUPLICATE');
  }
}

/** A backfill request's range: both ends required, start not after end. */
export function checkBackfill(field: string, b: temporal.api.schedule.v1.IBackfillRequest): { startTime: number; endTime: number; overlapPolicy: OverlapPolicy } {
  const start = optionalTimestampToMs(b.startTime as ProtoTime | null | undefined, `${field}.start_time`);
  const end = optionalTimestampToMs(b.endTime as ProtoTime | null | undefined, `${field}.end_time`);
  if (start === undefined) throw new InvalidArgumentError(`${field}.start_time`, 'backfill start_time is not set');
  if (end === undefined) throw new InvalidArgumentError(`${field}.end_time`, 'backfill end_time is not set');
  if (start > end) throw new InvalidArgumentError(`${field}.start_time`, 'backfill start_time is after end_time');
  return { startTime: start, endTime: end, overlapPolicy: overlapPolicyName(`${field}.overlap_policy`, b.overlapPolicy) };
}
