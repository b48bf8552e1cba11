import { long, msToTimestamp } from '@chasm/matching';
import type { temporal } from '../proto.js';
import type { ResetLinks, ResetPoint, WorkflowState } from './workflow.js';

/** history.maxAutoResetPoints (Temporal's default): older points rotate out. */
export const MAX_RESET_POINTS = 20;

/**
 * Temporal's addResetPointFromCompletion: a WorkflowTaskCompleted adds a reset point when its
 * <binary checksum, build id> pair is new for the run (the points carry over a reset, so the pair
 * may already be known from the run reset from). Resettable unless a child is pending.
 */
export function recordResetPoint(
  s: WorkflowState,
  attrs: temporal.api.history.v1.IWorkflowTaskCompletedEventAttributes,
  completedEventId: number,
  now: number,
): void {
  const binaryChecksum = attrs.binaryChecksum ?? '';
  const buildId = attrs.workerVersion?.buildId ?? '';
  const points = s.autoResetPoints ?? [];
  if (points.some((p) => p.binaryChecksum === binaryChecksum && p.buildId === buildId)) return;
  const resettable = !Object.values(s.children).some((c) => c.status !== 'closed');
  const point: ResetPoint = { binaryChecksum, buildId, runId: s.runId, firstWorkflowTaskCompletedId: completedEventId, createTime: now, resettable };
  s.autoResetPoints = [...points, point].slice(-MAX_RESET_POINTS);
}

/** The run's reset points as DescribeWorkflowExecution shows them. */
export function resetPointsProto(s: WorkflowState): temporal.api.workflow.v1.IResetPoints {
  return {
    points: (s.autoResetPoints ?? []).map((p) => ({
      binaryChecksum: p.binaryChecksum,
      buildId: p.buildId,
      runId: p.runId,
      firstWorkflowTaskCompletedId: long(p.firstWorkflowTaskCompletedId),
      createTime: msToTimestamp(p.createTime),
      resettable: p.resettable,
    })),
  };
}

/** WorkflowExecutionExtendedInfo's reset fields (reset_run_id, last_reset_time, original_start_time). */
export function resetExtendedInfo(r: ResetLinks): temporal.api.workflow.v1.IWorkflowExecutionExtendedInfo {
  return {
    ...(r.resetRunId ? { resetRunId: r.resetRunId } : {}),
    ...(r.lastResetTime !== undefined ? { lastResetTime: msToTimestamp(r.lastResetTime) } : {}),
    ...(r.originalStartTime !== undefined ? { originalStartTime: msToTimestamp(r.originalStartTime) } : {}),
  };
}
