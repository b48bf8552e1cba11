import { randomUUID } from 'node:crypto';
import { eventually, pool } from '@chasm/core/testing';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const EventType = temporal.api.enums.v1.EventType;
export const BatchState = temporal.api.enums.v1.BatchOperationState;
export const BatchType = temporal.api.enums.v1.BatchOperationType;

// The one polling wait of the test suites; callers pass (fn, timeoutMs, what).
export { eventually };

/** Starts `count` workflows of `type` with raw gRPC (no worker needed: they stay running). */
export async function startWorkflows(connection: Connection, namespace: string, type: string, ids: readonly string[], taskQueue = 'batch-targets'): Promise<void> {
  await pool(ids, 50, async (workflowId) => {
    await connection.workflowService.startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: type },
      taskQueue: { name: taskQueue },
      requestId: randomUUID(),
    });
  });
}

export async function describeBatch(connection: Connection, namespace: string, jobId: string): Promise<temporal.api.workflowservice.v1.DescribeBatchOperationResponse> {
  return connection.workflowService.describeBatchOperation({ namespace, jobId });
}

/**
 * Polls Describe until the batch closed, then List until visibility shows it closed too (the
 * per-namespace limit on running batches counts in visibility).
 */
export async function batchClosed(connection: Connection, namespace: string, jobId: string, timeoutMs = 60_000): Promise<temporal.api.workflowservice.v1.DescribeBatchOperationResponse> {
  const closed = await eventually(
    async () => {
      const d = await describeBatch(connection, namespace, jobId);
      return d.state !== BatchState.BATCH_OPERATION_STATE_RUNNING ? d : undefined;
    },
    timeoutMs,
    `batch ${jobId} to close`,
  );
  await eventually(
    async () => {
      const res = await connection.workflowService.listBatchOperations({ namespace, pageSize: 1000 });
      return res.operationInfo.some((o) => o.jobId === jobId && o.state !== BatchState.BATCH_OPERATION_STATE_RUNNING);
    },
    timeoutMs,
    `batch ${jobId} closed in visibility`,
  );
  return closed;
}

/** The event types of a workflow's full history. */
export async function eventTypes(connection: Connection, namespace: string, workflowId: string): Promise<number[]> {
  const types: number[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, ...(nextPageToken ? { nextPageToken } : {}) });
    for (const e of res.history?.events ?? []) types.push(e.eventType ?? 0);
    nextPageToken = res.nextPageToken?.length ? res.nextPageToken : undefined;
  } while (nextPageToken);
  return types;
}

export const num = (v: unknown): number => Number(v ?? 0);

/** gRPC status codes the tests expect. */
export const grpcStatus = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12 } as const;
