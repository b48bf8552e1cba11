import { randomUUID } from 'node:crypto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPlugin } from '../src/index.js';
import { BatchState, BatchType, grpcStatus, batchClosed, describeBatch, eventTypes, eventually, EventType, num, startWorkflows } from './helpers.js';

const NS = 'default';

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code;
  }
}

describe.each(testDatabaseConfigs('chasm_batch_e2e'))('batch operations on $name', (store) => {
  let server: TestServer;
  let connection: Connection;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await store.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, batchPlugin], database: db.config, settings: { batch: { maxOperationsPerSecond: 500 } } });
    connection = await Connection.connect({ address: server.address });
  }, 180_000);
  afterAll(async () => {
    await connection?.close();
    await server?.[Symbol.asyncDispose]();
    await drop?.();
  });
  const svc = () => connection.workflowService;
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it('signals an explicit list of executions, each once, and describes the batch', { timeout: 60_000 }, async () => {
    const type = `sig_${randomUUID().slice(0, 8)}`;
    const wf = ids(type, 5);
    await startWorkflows(connection, NS, type, wf);
    const jobId = `sig-${randomUUID()}`;
    await svc().startBatchOperation({
      namespace: NS,
      jobId,
      reason: 'poke them',
      executions: wf.map((workflowId) => ({ workflowId })),
      signalOperation: { signal: 'poke', identity: 'batch-test' },
    });
    const d = await batchClosed(connection, NS, jobId);
    expect(d.state).toBe(BatchState.BATCH_OPERATION_STATE_COMPLETED);
    expect(d.operationType).toBe(BatchType.BATCH_OPERATION_TYPE_SIGNAL);
    expect(d.jobId).toBe(jobId);
    expect([num(d.totalOperationCount), num(d.completeOperationCount), num(d.failureOperationCount)]).toEqual([5, 5, 0]);
    expect(d.reason).toBe('poke them');
    expect(d.identity).toBe('batch-test');
    expect(d.query).toBe('');
    expect(d.executions.map((e) => e.businessId)).toEqual(wf);
    expect(num(d.startTime?.seconds)).toBeGreaterThan(0);
    expect(num(d.closeTime?.seconds)).toBeGreaterThanOrEqual(num(d.startTime?.seconds));
    for (const id of wf) {
      const types = await eventTypes(connection, NS, id);
      expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(1);
    }
  });

  it('cancels the running executions a query selects and deletes by query', { timeout: 60_000 }, async () => {
    const type = `cancel_${randomUUID().slice(0, 8)}`;
    const wf = ids(type, 6);
    await startWorkflows(connection, NS, type, wf);
    const query = `WorkflowType = '${type}'`;
    await eventually(async () => num((await svc().countWorkflowExecutions({ namespace: NS, query })).count) === 6, 30_000, 'visibility');
    const jobId = `cancel-${randomUUID()}`;
    await svc().startBatchOperation({ namespace: NS, jobId, reason: 'stop work', visibilityQuery: query, cancellationOperation: { identity: 'op' } });
    const d = await batchClosed(connection, NS, jobId);
    expect(d.operationType).toBe(BatchType.BATCH_OPERATION_TYPE_CANCEL);
    expect(d.query).toBe(query);
    expect([num(d.totalOperationCount), num(d.completeOperationCount)]).toEqual([6, 6]);
    for (const id of wf) {
      const types = await eventTypes(connection, NS, id);
      expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)).toHaveLength(1);
    }

    const del = `delete-${randomUUID()}`;
    await svc().startBatchOperation({ namespace: NS, jobId: del, reason: 'clean up', visibilityQuery: query, deletionOperation: {} });
    const dd = await batchClosed(connection, NS, del);
    expect(dd.operationType).toBe(BatchType.BATCH_OPERATION_TYPE_DELETE);
    expect(num(dd.completeOperationCount)).toBe(6);
    for (const id of wf) {
      expect(await codeOf(svc().describeWorkflowExecution({ namespace: NS, execution: { workflowId: id } }))).toBe(grpcStatus.NOT_FOUND);
    }
  });

  it('stops a running batch: FAILED with the stop reason, no further progress; lists batches', { timeout: 60_000 }, async () => {
    // Executions that do not exist: each is done at once (NotFound counts as done), at 2 a second.
    const type = `stop_${randomUUID().slice(0, 8)}`;
    const wf = ids(type, 200);
    const jobId = `stop-${randomUUID()}`;
    await svc().startBatchOperation({
      namespace: NS,
      jobId,
      reason: 'slowly',
      executions: wf.map((workflowId) => ({ workflowId })),
      maxOperationsPerSecond: 2,
      terminationOperation: {},
    });
    // One batch per namespace at a time (Temporal's default): a second one is refused while this
    // runs, once visibility shows it (Temporal counts running batches in visibility too).
    await eventually(async () => (await svc().listBatchOperations({ namespace: NS })).operationInfo.some((o) => o.jobId === jobId), 15_000, 'the batch listed');
    // The SDK's default connection retries RESOURCE_EXHAUSTED for ~40 s before surfacing it
    // (as it should against Temporal); a connection without the retry interceptor sees it at once.
    const noRetry = await Connection.connect({ address: server.address, interceptors: [] });
    const second = noRetry.workflowService.startBatchOperation({ namespace: NS, jobId: `other-${randomUUID()}`, reason: 'r', executions: [{ workflowId: wf[0]! }], terminationOperation: {} });
    expect(await codeOf(second)).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    await noRetry.close();
    await svc().stopBatchOperation({ namespace: NS, jobId, reason: 'enough', identity: 'me' });
    const d = await describeBatch(connection, NS, jobId);
    expect(d.state).toBe(BatchState.BATCH_OPERATION_STATE_FAILED);
    expect(d.reason).toBe('enough');
    expect(num(d.closeTime?.seconds)).toBeGreaterThan(0);
    const done = num(d.completeOperationCount);
    expect(done).toBeLessThan(200);
    expect(num((await describeBatch(connection, NS, jobId)).completeOperationCount)).toBe(done);
    expect(await codeOf(svc().stopBatchOperation({ namespace: NS, jobId, reason: 'again' }))).toBe(grpcStatus.NOT_FOUND);

    const listed = await eventually(async () => {
      const res = await svc().listBatchOperations({ namespace: NS, pageSize: 100 });
      const mine = res.operationInfo.find((o) => o.jobId === jobId);
      return mine && mine.state === BatchState.BATCH_OPERATION_STATE_FAILED ? mine : undefined;
    }, 15_000, 'the stopped batch in ListBatchOperations');
    expect(listed.operationType).toBe(BatchType.BATCH_OPERATION_TYPE_TERMINATE);
    expect(num(listed.startTime?.seconds)).toBeGreaterThan(0);
  });

  it('refuses bad requests with the status Temporal answers, naming the field', async () => {
    const base = { namespace: NS, jobId: `bad-${randomUUID()}`, reason: 'r', executions: [{ workflowId: 'x' }], terminationOperation: {} };
    const check = async (req: object, code: number, field: RegExp) => {
      try {
        await svc().startBatchOperation(req);
        expect.fail('accepted');
      } catch (e) {
        expect((e as { code?: number }).code).toBe(code);
        expect((e as Error).message).toMatch(field);
      }
    };
    await check({ ...base, jobId: '' }, grpcStatus.INVALID_ARGUMENT, /job_id/);
    await check({ ...base, reason: '' }, grpcStatus.INVALID_ARGUMENT, /reason/);
    await check({ ...base, visibilityQuery: "WorkflowType = 'x'" }, grpcStatus.INVALID_ARGUMENT, /mutually exclusive/);
    await check({ ...base, executions: [] }, grpcStatus.INVALID_ARGUMENT, /visibility_query/);
    await check({ ...base, executions: [], visibilityQuery: 'NoSuchField = 1' }, grpcStatus.INVALID_ARGUMENT, /visibility_query/);
    await check({ ...base, terminationOperation: undefined }, grpcStatus.INVALID_ARGUMENT, /operation/);
    await check({ ...base, terminationOperation: undefined, resetOperation: {} }, grpcStatus.INVALID_ARGUMENT, /reset_operation/);
    await check({ ...base, maxOperationsPerSecond: -1 }, grpcStatus.INVALID_ARGUMENT, /max_operations_per_second/);
    expect(await codeOf(svc().describeBatchOperation({ namespace: NS, jobId: 'no-such-job' }))).toBe(grpcStatus.NOT_FOUND);

    // A job id is used once.
    const jobId = `dup-${randomUUID()}`;
    await svc().startBatchOperation({ ...base, jobId, executions: [{ workflowId: `missing-${randomUUID()}` }] });
    await batchClosed(connection, NS, jobId);
    expect(await codeOf(svc().startBatchOperation({ ...base, jobId }))).toBe(grpcStatus.ALREADY_EXISTS);
  });
});
