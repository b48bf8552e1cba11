import { FailedPreconditionError, WORKFLOW_SERVICE, type ServiceClient } from '@chasm/core';
import { decodeMessage, temporalProto } from '@chasm/matching';
import type { BatchTarget } from './batch.js';

const batchApi = temporalProto.temporal.api.batch.v1;
const WORKFLOW_TASK_COMPLETED = temporalProto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
const RESET_TYPE = temporalProto.temporal.api.enums.v1.ResetType;

/** int64 fields arrive as numbers or Longs (which have no valueOf). */
export function int64(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/** Where a batch reset puts each execution: its first or last completed workflow task, or a fixed event id. */
export type ResetPoint = { readonly kind: 'first' | 'last' } | { readonly kind: 'event'; readonly eventId: number };

interface HistoryPage {
  history?: { events?: { eventId?: unknown; eventType?: number | null }[] | null } | null;
  nextPageToken?: Uint8Array | null;
}

/** The reset point and reapply settings of a stored BatchOperationReset (options first, then the deprecated fields). */
export function resetSettings(operation: Uint8Array | null): {
  point: ResetPoint;
  resetReapplyType: number;
  resetReapplyExcludeTypes: number[];
} {
  const op = decodeMessage(batchApi.BatchOperationReset, operation);
  const o = op?.options;
  if (o) {
    const eventId = int64(o.workflowTaskId);
    const point: ResetPoint = o.lastWorkflowTask ? { kind: 'last' } : !o.firstWorkflowTask && eventId > 0 ? { kind: 'event', eventId } : { kind: 'first' };
    return { point, resetReapplyType: o.resetReapplyType ?? 0, resetReapplyExcludeTypes: [...(o.resetReapplyExcludeTypes ?? [])] };
  }
  return {
    point: op?.resetType === RESET_TYPE.RESET_TYPE_LAST_WORKFLOW_TASK ? { kind: 'last' } : { kind: 'first' },
    resetReapplyType: op?.resetReapplyType ?? 0,
    resetReapplyExcludeTypes: [],
  };
}

/**
 * The WorkflowTaskCompleted event id to reset `t` to (Temporal's batcher getResetEventIDByType),
 * read through the WorkflowService: forward history for the first, reverse for the last. A run
 * with no completed workflow task cannot be reset: FAILED_PRECONDITION, counted as a failure.
 */
export async function findResetEventId(services: ServiceClient, namespace: string, t: BatchTarget, point: ResetPoint, signal: AbortSignal): Promise<number> {
  if (point.kind === 'event') return point.eventId;
  const method = point.kind === 'first' ? 'GetWorkflowExecutionHistory' : 'GetWorkflowExecutionHistoryReverse';
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await services.call<HistoryPage>(
      WORKFLOW_SERVICE,
      method,
      { namespace, execution: { workflowId: t.workflowId, runId: t.runId }, ...(nextPageToken ? { nextPageToken } : {}) },
      { signal },
    );
    const found = (page.history?.events ?? []).find((e) => e.eventType === WORKFLOW_TASK_COMPLETED);
    if (found) return int64(found.eventId);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  throw new FailedPreconditionError(`workflow ${t.workflowId} run ${t.runId} has no completed workflow task to reset to`, { workflowId: t.workflowId });
}
