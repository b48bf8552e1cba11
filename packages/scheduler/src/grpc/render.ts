import { long, msToDuration, msToTimestamp, temporalProto, type temporal } from '@chasm/matching';
import { cleanRange, type CanonicalSpec, type StructuredCalendar } from '@chasm/schedule-spec';
import type { RecentAction, SchedulerState } from '../scheduler/scheduler-state.js';
import { catchupWindowMs } from '../scheduler/scheduler-state.js';

const { ScheduleOverlapPolicy, WorkflowExecutionStatus } = temporalProto.temporal.api.enums.v1;
type Api = typeof temporalProto.temporal.api;

/** Go's zero time, which Temporal shows as update_time until the first update (reference A.2). */
const GO_ZERO_TIME = { seconds: long(-62135596800), nanos: 0 };

function calendar(c: StructuredCalendar): temporal.api.schedule.v1.IStructuredCalendarSpec {
  const r = (rs: StructuredCalendar['second']) => rs.map(cleanRange);
  return {
    second: r(c.second),
    minute: r(c.minute),
    hour: r(c.hour),
    dayOfMonth: r(c.dayOfMonth),
    month: r(c.month),
    year: r(c.year),
    dayOfWeek: r(c.dayOfWeek),
    ...(c.comment ? { comment: c.comment } : {}),
  };
}

/** The canonical spec as Describe and List return it (ranges cleaned; at most `max` of each list). */
export function renderSpec(spec: CanonicalSpec, max = Number.POSITIVE_INFINITY): temporal.api.schedule.v1.IScheduleSpec {
  return {
    structuredCalendar: spec.structuredCalendar.slice(0, max).map(calendar),
    excludeStructuredCalendar: spec.excludeStructuredCalendar.slice(0, max).map(calendar),
    interval: spec.interval.slice(0, max).map((iv) => ({ interval: msToDuration(iv.intervalSeconds * 1000), ...(iv.phaseSeconds ? { phase: msToDuration(iv.phaseSeconds * 1000) } : {}) })),
    ...(spec.startTimeMs !== undefined ? { startTime: msToTimestamp(spec.startTimeMs) } : {}),
    ...(spec.endTimeMs !== undefined ? { endTime: msToTimestamp(spec.endTimeMs) } : {}),
    ...(spec.jitterMs > 0 ? { jitter: msToDuration(spec.jitterMs) } : {}),
    timezoneName: spec.timezoneName,
  };
}

const OVERLAP: Readonly<Record<string, number>> = {
  SKIP: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP,
  BUFFER_ONE: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
  BUFFER_ALL: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
  CANCEL_OTHER: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
  TERMINATE_OTHER: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
  ALLOW_ALL: ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
};

/** The stored schedule: overlap policy defaulted to SKIP, the effective catch-up window. */
export function renderSchedule(s: SchedulerState, action: temporal.api.schedule.v1.IScheduleAction | null): temporal.api.schedule.v1.ISchedule {
  return {
    spec: renderSpec(s.spec),
    ...(action ? { action } : {}),
    policies: {
      overlapPolicy: OVERLAP[s.overlapPolicy === 'UNSPECIFIED' ? 'SKIP' : s.overlapPolicy] ?? ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP,
      catchupWindow: msToDuration(catchupWindowMs(s)),
      pauseOnFailure: s.pauseOnFailure,
      keepOriginalWorkflowId: s.keepOriginalWorkflowId,
    },
    state: { notes: s.notes, paused: s.paused, limitedActions: s.limitedActions, remainingActions: long(s.remainingActions) },
  };
}

const STATUS: Readonly<Record<string, number>> = {
  RUNNING: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
  COMPLETED: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  FAILED: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
  CANCELED: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
  TERMINATED: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  TIMED_OUT: WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};

export function renderRecentAction(a: RecentAction): temporal.api.schedule.v1.IScheduleActionResult {
  return {
    scheduleTime: msToTimestamp(a.scheduleTime),
    actualTime: msToTimestamp(a.actualTime),
    startWorkflowResult: { workflowId: a.workflowId, runId: a.runId },
    startWorkflowStatus: STATUS[a.status] ?? WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED,
  };
}

export interface DescribeParts {
  readonly state: SchedulerState;
  readonly action: temporal.api.schedule.v1.IScheduleAction | null;
  readonly recent: RecentAction[];
  readonly futureActionTimes: number[];
  readonly bufferSize: number;
}

/** DescribeScheduleResponse (reference A.12). */
export function describeResponse(p: DescribeParts, api: Api = temporalProto.temporal.api): temporal.api.workflowservice.v1.IDescribeScheduleResponse {
  const s = p.state;
  const running = p.recent.filter((a) => a.status === 'RUNNING');
  return {
    schedule: renderSchedule(s, p.action),
    info: {
      actionCount: long(s.info.actionCount),
      missedCatchupWindow: long(s.info.missedCatchupWindow),
      overlapSkipped: long(s.info.overlapSkipped),
      bufferDropped: long(s.info.bufferDropped),
      bufferSize: long(p.bufferSize),
      runningWorkflows: running.map((a) => ({ workflowId: a.workflowId, runId: a.runId })),
      recentActions: p.recent.map(renderRecentAction),
      futureActionTimes: p.futureActionTimes.map(msToTimestamp),
      createTime: msToTimestamp(s.info.createTime),
      updateTime: s.info.updateTime > 0 ? msToTimestamp(s.info.updateTime) : GO_ZERO_TIME,
    },
    memo: s.memo ? api.common.v1.Memo.decode(s.memo) : null,
    searchAttributes: s.searchAttributes ? api.common.v1.SearchAttributes.decode(s.searchAttributes) : null,
    conflictToken: encodeConflictToken(s.conflictToken),
  };
}

/** The conflict token on the wire: 8 bytes, little-endian int64. */
export function encodeConflictToken(token: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(token));
  return new Uint8Array(b);
}

/** Decodes a conflict token; undefined for none (an unconditional update), NaN for a malformed one. */
export function decodeConflictToken(bytes: Uint8Array | null | undefined): number | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  if (bytes.length !== 8) return Number.NaN;
  return Number(Buffer.from(bytes).readBigInt64LE());
}
