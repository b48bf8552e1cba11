import type { ExecutionStatus, VisibilityRecord } from '@chasm/core';
import { decodeMessage, jsonPayload, long, msToDuration, msToTimestamp } from '@chasm/matching';
import { api, Enums, type temporal } from '../proto.js';
import type { ActivityState } from '../activity/activity.js';
import { activityOptionsProto } from '../activity/activity-operator.js';
import { callbackInfos } from '../callback/callback-info.js';
import type { WorkflowComponent, WorkflowState, WorkflowStatus } from '../workflow/workflow.js';
import { workflowExtensions } from '../workflow/extensions.js';
import { resetExtendedInfo, resetPointsProto } from '../workflow/reset-points.js';
import { rootExecutionOf } from '../workflow/root-execution.js';
import { versioningOverrideOf } from '../workflow/pause-run.js';

const S = Enums.WorkflowExecutionStatus;
export const STATUS_PROTO: Readonly<Record<WorkflowStatus, number>> = {
  running: S.WORKFLOW_EXECUTION_STATUS_RUNNING,
  completed: S.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  failed: S.WORKFLOW_EXECUTION_STATUS_FAILED,
  canceled: S.WORKFLOW_EXECUTION_STATUS_CANCELED,
  terminated: S.WORKFLOW_EXECUTION_STATUS_TERMINATED,
  continuedAsNew: S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
  timedOut: S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
};

/** The persisted execution status (visibility records, Count's groups) as the API enum. */
export const EXECUTION_STATUS_PROTO: Readonly<Record<ExecutionStatus, number>> = {
  ...STATUS_PROTO,
  paused: S.WORKFLOW_EXECUTION_STATUS_PAUSED,
};

/** The API status of a run: a paused run is open ('running' inside) but reported PAUSED. */
export function runStatusProto(s: Pick<WorkflowState, 'status' | 'paused'>): number {
  return s.status === 'running' && s.paused ? S.WORKFLOW_EXECUTION_STATUS_PAUSED : STATUS_PROTO[s.status];
}

const Common = api.common.v1;

/** Temporal's GetActivityState: cancel requested wins, then started (pause requested) or paused. */
function pendingState(a: ActivityState): number {
  const P = Enums.PendingActivityState;
  if (a.cancelRequested) return P.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED;
  if (a.status === 'started') return a.paused ? P.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED : P.PENDING_ACTIVITY_STATE_STARTED;
  return a.paused ? P.PENDING_ACTIVITY_STATE_PAUSED : P.PENDING_ACTIVITY_STATE_SCHEDULED;
}

function pendingActivity(a: ActivityState): temporal.api.workflow.v1.IPendingActivityInfo {
  return {
    activityId: a.activityId,
    activityType: { name: a.activityType },
    state: pendingState(a),
    paused: a.paused,
    ...(a.pauseInfo
      ? { pauseInfo: { pauseTime: msToTimestamp(a.pauseInfo.time), manual: { identity: a.pauseInfo.identity, reason: a.pauseInfo.reason } } }
      : {}),
    activityOptions: activityOptionsProto(a),
    priority: decodeMessage(Common.Priority, a.priority) ?? {},
    heartbeatDetails: decodeMessage(Common.Payloads, a.heartbeatDetails),
    ...(a.lastHeartbeatTime ? { lastHeartbeatTime: msToTimestamp(a.lastHeartbeatTime) } : {}),
    ...(a.startedTime ? { lastStartedTime: msToTimestamp(a.startedTime) } : {}),
    attempt: a.attempt,
    maximumAttempts: a.retry.maximumAttempts,
    scheduledTime: msToTimestamp(a.currentAttemptScheduledTime),
    lastFailure: decodeMessage(api.failure.v1.Failure, a.lastFailure),
    lastWorkerIdentity: a.startedIdentity,
  };
}

/** DescribeWorkflowExecutionResponse for a run. */
export function describeResponse(wf: WorkflowComponent): temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse {
  const out = describeRun(wf);
  for (const ext of workflowExtensions()) ext.describe?.(wf, out);
  return out;
}

function describeRun(wf: WorkflowComponent): temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse {
  const s = wf.state;
  const activities = wf.fields.activities.keys().map((k) => wf.fields.activities.get(k)!.state);
  const t = s.wft;
  return {
    executionConfig: {
      taskQueue: { name: s.taskQueue, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      ...(s.executionTimeoutMs ? { workflowExecutionTimeout: msToDuration(s.executionTimeoutMs) } : {}),
      ...(s.runTimeoutMs ? { workflowRunTimeout: msToDuration(s.runTimeoutMs) } : {}),
      defaultWorkflowTaskTimeout: msToDuration(s.wftTimeoutMs),
      userMetadata: decodeMessage(api.sdk.v1.UserMetadata, s.userMetadata),
    },
    workflowExecutionInfo: {
      execution: { workflowId: s.workflowId, runId: s.runId },
      type: { name: s.workflowType },
      startTime: msToTimestamp(s.startTime),
      ...(s.closeTime !== null ? { closeTime: msToTimestamp(s.closeTime) } : {}),
      status: runStatusProto(s),
      historyLength: long(s.nextEventId - 1),
      executionTime: msToTimestamp(s.executionTime),
      memo: decodeMessage(Common.Memo, s.memo) ?? {},
      searchAttributes: decodeMessage(Common.SearchAttributes, s.searchAttributesBytes) ?? {},
      taskQueue: s.taskQueue,
      historySizeBytes: long(s.historySizeBytes),
      firstRunId: s.firstExecutionRunId,
      ...(s.autoResetPoints?.length ? { autoResetPoints: resetPointsProto(s) } : {}),
      rootExecution: rootExecutionOf(wf),
      // The run's priority as matching sees it (for a child: merged with its parent's).
      priority: s.priority ?? {},
      ...(s.versioningOverride ? { versioningInfo: { versioningOverride: versioningOverrideOf(wf) } } : {}),
      ...(s.parent
        ? { parentNamespaceId: s.parent.namespaceId, parentExecution: { workflowId: s.parent.workflowId, runId: s.parent.runId } }
        : {}),
    },
    ...(s.reset || s.paused
      ? {
          workflowExtendedInfo: {
            ...(s.reset ? resetExtendedInfo(s.reset) : {}),
            ...(s.paused ? { pauseInfo: { identity: s.paused.identity, reason: s.paused.reason, pausedTime: msToTimestamp(s.paused.time) } } : {}),
          },
        }
      : {}),
    pendingActivities: activities.map(pendingActivity),
    callbacks: callbackInfos(wf),
    ...(t
      ? {
          pendingWorkflowTask: {
            state: t.startedEventId > 0 ? Enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED : Enums.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
            scheduledTime: msToTimestamp(t.scheduledTime),
            ...(t.startedTime ? { startedTime: msToTimestamp(t.startedTime) } : {}),
            attempt: t.attempt,
          },
        }
      : {}),
  };
}

const BUILTIN_SA = new Set(['WorkflowType', 'TaskQueue', 'ExecutionTime']);

/** A List entry from a visibility record; search attribute payloads carry their types (`types`: name → type name). */
export function executionInfoFromRecord(r: VisibilityRecord, types: ReadonlyMap<string, string> = new Map()): temporal.api.workflow.v1.IWorkflowExecutionInfo {
  const sa = r.searchAttributes;
  const indexed: Record<string, temporal.api.common.v1.IPayload> = {};
  for (const [k, v] of Object.entries(sa)) {
    if (BUILTIN_SA.has(k) || v === null || v === undefined) continue;
    indexed[k] = jsonPayload(v, types.get(k));
  }
  const execTime = typeof sa['ExecutionTime'] === 'string' ? Date.parse(sa['ExecutionTime']) : r.startTime.getTime();
  return {
    execution: { workflowId: r.businessId, runId: r.runId },
    type: { name: String(sa['WorkflowType'] ?? '') },
    startTime: msToTimestamp(r.startTime.getTime()),
    ...(r.closeTime ? { closeTime: msToTimestamp(r.closeTime.getTime()) } : {}),
    status: EXECUTION_STATUS_PROTO[r.status] ?? 0,
    executionTime: msToTimestamp(execTime),
    taskQueue: String(sa['TaskQueue'] ?? ''),
    memo: r.memo ? Common.Memo.decode(r.memo) : {},
    searchAttributes: { indexedFields: indexed },
    historyLength: long(0),
  };
}
