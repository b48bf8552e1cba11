import { randomUUID } from 'node:crypto';
import {
  ChasmError,
  ErrorCode,
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  ResourceExhaustedError,
  WORKFLOW_SERVICE,
  type Engine,
  type NamespaceResolver,
  type RpcHandlerSet,
  type ServiceClient,
} from '@chasm/core';
import { long, longToNumber, msToTimestamp, type temporal } from '@chasm/matching';
import type { Logger } from 'pino';
import { Batch, batchTarget, type BatchOperationKind, type BatchState } from '../batch/batch.js';
import { ProcessBatch } from '../batch/batch.tasks.js';
import { BatchTransitions } from '../batch/batch.transitions.js';
import type { BatchConfig } from '../config.js';
import { BatchNotFoundError } from '../errors.js';
import type { BatchMetrics } from '../metrics.js';
import { checkStartRequest, listQueryOf } from './start-request.js';

export interface BatchHandlerDeps {
  readonly engine: Engine;
  readonly namespaces: NamespaceResolver;
  readonly services: ServiceClient;
  readonly config: BatchConfig;
  readonly logger?: Logger;
  readonly metrics?: BatchMetrics;
}

/** temporal.api.enums.v1.BatchOperationType, the values Temporal's frontend reports. */
const OPERATION_TYPE: Readonly<Record<BatchOperationKind, number>> = { terminate: 1, cancel: 2, signal: 3, delete: 4, reset: 5 };
/** temporal.api.enums.v1.BatchOperationState. */
const STATE = { running: 1, completed: 2, failed: 3 } as const;
const EXECUTION_TYPE_WORKFLOW = 1;
const RUNNING = { kind: 'compare', field: 'Status', op: '=', value: 'Running' } as const;
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * StartBatchOperation, StopBatchOperation, DescribeBatchOperation, ListBatchOperations: each
 * batch is a `batch.batch` execution (business id = job id) whose processing task does the work.
 */
export function batchRpcHandlers(deps: BatchHandlerDeps): RpcHandlerSet {
  const { engine, namespaces, services, config } = deps;
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async StartBatchOperation(req: temporal.api.workflowservice.v1.IStartBatchOperationRequest) {
        const namespace = req.namespace ?? '';
        if (!namespace) throw new InvalidArgumentError('namespace', 'Namespace is not set on request.');
        const namespaceId = await namespaces.idOf(namespace);
        const checked = checkStartRequest(req);
        const listQuery = listQueryOf(checked.kind, checked.query);
        // The query is checked (and the total estimated, as Temporal's batcher does) before anything is stored.
        const total = checked.query ? await countExecutions(services, namespace, listQuery) : checked.executions.length;
        // Counted in visibility, as Temporal's frontend counts its batcher workflows: eventually consistent.
        const running = await engine.count(Batch, { namespaceId, filter: RUNNING });
        if (running >= config.maxConcurrentPerNamespace) {
          throw new ResourceExhaustedError('Max concurrent batch operations is reached.', 'CONCURRENT_LIMIT');
        }
        const rps = checked.requestedRps > 0 ? Math.min(checked.requestedRps, config.maxOperationsPerSecond) : config.maxOperationsPerSecond;
        try {
          await engine.start(
            Batch,
            { namespaceId, businessId: checked.jobId },
            {
              // A job id names one batch forever: a second start with it is ALREADY_EXISTS, as in Temporal.
              requestId: randomUUID(),
              reusePolicy: 'rejectDuplicate',
              init: (ctx): BatchState => ({
                jobId: checked.jobId,
                namespace,
                kind: checked.kind,
                operation: checked.operation,
                reason: checked.reason,
                identity: checked.identity,
                query: checked.query,
                listQuery,
                executions: [...checked.executions],
                rps,
                state: 'running',
                startTime: ctx.now.getTime(),
                closeTime: null,
                total,
                complete: 0,
                failure: 0,
                pending: [...checked.executions],
                pageToken: null,
                // Explicit executions are the only "page".
                exhausted: !checked.query,
                stamp: 0,
                stopReason: '',
                stopIdentity: '',
              }),
              run: (root, ctx) => {
                if (root.state.pending.length === 0 && root.state.exhausted) BatchTransitions.complete.apply(root, ctx, undefined);
                else ctx.addTask(root, ProcessBatch, { stamp: root.state.stamp });
              },
            },
          );
        } catch (e) {
          if (e instanceof ExecutionAlreadyStartedError) throw new ChasmError(ErrorCode.AlreadyExists, `batch operation '${checked.jobId}' already exists`, { jobId: checked.jobId });
          throw e;
        }
        deps.metrics?.started.inc({ operation: checked.kind });
        deps.logger?.info({ jobId: checked.jobId, operation: checked.kind, total, rps }, 'batch operation started');
        return {};
      },

      async StopBatchOperation(req: temporal.api.workflowservice.v1.IStopBatchOperationRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const jobId = req.jobId ?? '';
        if (!jobId) throw new InvalidArgumentError('job_id', 'JobId is not set on request.');
        const reason = req.reason ?? '';
        if (!reason) throw new InvalidArgumentError('reason', 'Reason is not set on request.');
        await withBatch(jobId, () =>
          engine.update(batchTarget(namespaceId, jobId), (c, ctx) => {
            // Stopping a closed batch is a no-op success, as terminating a closed system workflow is not.
            if (c.state.state !== 'running') throw new ChasmError(ErrorCode.NotFound, `batch operation '${jobId}' is already closed`, { jobId });
            BatchTransitions.stop.apply(c, ctx, { reason, identity: req.identity ?? '' });
          }),
        );
        return {};
      },

      async DescribeBatchOperation(req: temporal.api.workflowservice.v1.IDescribeBatchOperationRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const jobId = req.jobId ?? '';
        if (!jobId) throw new InvalidArgumentError('job_id', 'JobId is not set on request.');
        const s = await withBatch(jobId, () => engine.read(batchTarget(namespaceId, jobId), (c) => structuredClone(c.state)));
        return {
          operationType: OPERATION_TYPE[s.kind],
          jobId: s.jobId,
          state: STATE[s.state],
          startTime: msToTimestamp(s.startTime),
          ...(s.closeTime !== null ? { closeTime: msToTimestamp(s.closeTime) } : {}),
          totalOperationCount: long(s.total),
          completeOperationCount: long(s.complete),
          failureOperationCount: long(s.failure),
          identity: s.state === 'failed' && s.stopIdentity ? s.stopIdentity : s.identity,
          reason: s.state === 'failed' && s.stopReason ? s.stopReason : s.reason,
          query: s.query,
          executions: s.executions.map((e) => ({ type: EXECUTION_TYPE_WORKFLOW, businessId: e.workflowId, runId: e.runId })),
        };
      },

      async ListBatchOperations(req: temporal.api.workflowservice.v1.IListBatchOperationsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const pageSize = req.pageSize ?? 0;
        if (pageSize < 0) throw new InvalidArgumentError('page_size', 'page_size must not be negative.');
        const page = await engine.list(Batch, {
          namespaceId,
          pageSize: pageSize || 100,
          ...(req.nextPageToken?.length ? { pageToken: dec.decode(req.nextPageToken) } : {}),
        });
        return {
          operationInfo: page.records.map((r) => ({
            jobId: r.businessId,
            state: r.status === 'running' ? STATE.running : r.status === 'completed' ? STATE.completed : STATE.failed,
            startTime: msToTimestamp(r.startTime),
            ...(r.closeTime ? { closeTime: msToTimestamp(r.closeTime) } : {}),
            operationType: OPERATION_TYPE[(r.searchAttributes['BatchOperationType'] as BatchOperationKind | undefined) ?? 'terminate'] ?? 0,
          })),
          nextPageToken: page.nextPageToken ? enc.encode(page.nextPageToken) : new Uint8Array(0),
        };
      },
    },
  };
}

async function countExecutions(services: ServiceClient, namespace: string, query: string): Promise<number> {
  try {
    const res = await services.call<{ count?: Parameters<typeof longToNumber>[0] }>(WORKFLOW_SERVICE, 'CountWorkflowExecutions', { namespace, query });
    return longToNumber(res.count);
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.InvalidArgument) throw new InvalidArgumentError('visibility_query', e.message);
    throw e;
  }
}

/** A missing execution is a missing batch: answer NOT_FOUND naming the job. */
async function withBatch<T>(jobId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.NotFound && !(e.details as { jobId?: string }).jobId) throw new BatchNotFoundError(jobId);
    throw e;
  }
}
