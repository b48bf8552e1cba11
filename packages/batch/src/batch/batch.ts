import type { ComponentOf, ExecutionStatus, Lifecycle, RootTarget } from '@chasm/core';
import { library } from '../library.js';

/** The operations this package applies to each selected workflow execution. */
export type BatchOperationKind = 'terminate' | 'cancel' | 'signal' | 'delete' | 'reset';

/** Running until every selected execution was handled; completed then; failed when stopped. */
export type BatchRunState = 'running' | 'completed' | 'failed';

/** One selected workflow execution. */
export interface BatchTarget {
  readonly workflowId: string;
  readonly runId: string;
}

/** State of one batch operation (its own execution, business id = job id). Times: epoch ms. */
export interface BatchState {
  jobId: string;
  /** Namespace name: the operations go through the WorkflowService, which takes names. */
  namespace: string;
  kind: BatchOperationKind;
  /** The operation message as sent (batch.v1.BatchOperationTermination, …), encoded. */
  operation: Uint8Array | null;
  reason: string;
  identity: string;
  /** The query as given, and the one the pages are read with (Running added for terminate, cancel, signal; not for delete and reset). */
  query: string;
  listQuery: string;
  /** The explicit executions, in query-less batches. */
  executions: BatchTarget[];
  /** Operations per second. */
  rps: number;
  state: BatchRunState;
  startTime: number;
  closeTime: number | null;
  /** Total to do: the executions given, or the query's count when the batch started. */
  total: number;
  complete: number;
  failure: number;
  /**
   * Progress, committed with the counts. `pending` is the fetched page not yet handled; `pageToken`
   * the visibility cursor after it; `exhausted` once the last page was fetched. An execution
   * leaves `pending` in the same commit that counts it, so a crash repeats at most the slice in
   * flight, and a repeated operation on an execution it already reached is NotFound (terminate,
   * cancel of a closed run, delete) or deduplicated by request id (signal, cancel): counted once.
   */
  pending: BatchTarget[];
  pageToken: string | null;
  exhausted: boolean;
  /**
   * Bumped by every recorded step and when stopped: a processing task armed with an older stamp
   * is stale and dropped (after a crash, the task whose step committed can run again).
   */
  stamp: number;
  stopReason: string;
  stopIdentity: string;
}

function lifecycleOf(s: BatchState): Lifecycle {
  if (s.state === 'completed') return 'completed';
  return s.state === 'failed' ? 'failed' : 'running';
}

/** Temporal shows a stopped batch (its system workflow terminated) as FAILED; the execution is terminated. */
const executionStatusOf = (s: BatchState): ExecutionStatus => (s.state === 'completed' ? 'completed' : 'terminated');

/**
 * The batch operation: a root component, archetype `batch.batch`, one per job id and namespace.
 * Its processing task walks the selected executions page by page at the rate limit.
 */
export const Batch = library.component({
  name: 'batch',
  schemaVersion: 1,
  lifecycle: lifecycleOf,
  executionStatus: executionStatusOf,
  searchAttributeTypes: { BatchOperationType: 'Keyword' },
  searchAttributes: (s: BatchState) => ({ BatchOperationType: s.kind }),
  terminate(c, ctx, reason) {
    // engine.delete on a running batch (namespace deletion): stop it.
    const s = c.state;
    s.state = 'failed';
    s.closeTime = ctx.now.getTime();
    s.stopReason = reason;
    s.stamp += 1;
  },
});
export type BatchComponent = ComponentOf<typeof Batch>;
export type BatchTargetRef = RootTarget<BatchState, (typeof Batch)['children']>;

export const batchTarget = (namespaceId: string, jobId: string): BatchTargetRef => ({ type: Batch, namespaceId, businessId: jobId });
