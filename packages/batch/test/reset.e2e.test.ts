import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPlugin } from '../src/index.js';
import { BatchState, BatchType, batchClosed, eventually, EventType, grpcStatus, num } from './helpers.js';

const NS = 'default';
const Status = { COMPLETED: 2 } as const;

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
}, 120_000);

describe.each(testDatabaseConfigs('chasm_batch_reset_e2e'))('batch reset on $name', (store) => {
  let server: TestServer;
  let connection: Connection;
  let client: Client;
  let native: NativeConnection;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await store.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, batchPlugin], database: db.config, settings: { batch: { maxOperationsPerSecond: 500 } } });
    connection = await Connection.connect({ address: server.address, interceptors: [] });
    client = new Client({ connection });
    native = await NativeConnection.connect({ address: server.address });
  }, 180_000);
  afterAll(async () => {
    await connection?.close();
    await native?.close();
    await server?.[Symbol.asyncDispose]();
    await drop?.();
  });

  const runsOf = async (workflowId: string) => {
    const res = await connection.workflowService.listWorkflowExecutions({ namespace: NS, query: `WorkflowId = '${workflowId}'` });
    return res.executions;
  };

  it('resets completed workflows to their first workflow task: one new run each, which completes', { timeout: 120_000 }, async () => {
    const taskQueue = `reset-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({ connection: native, namespace: NS, taskQueue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const ids = Array.from({ length: 3 }, (_, i) => `${taskQueue}-${i}`);
      const handles = await Promise.all(ids.map((workflowId) => client.workflow.start('twoStep', { workflowId, taskQueue, args: [workflowId] })));
      const firstRuns = await Promise.all(handles.map(async (h) => ({ result: await h.result(), runId: h.firstExecutionRunId })));
      expect(firstRuns.map((r) => r.result)).toEqual(ids.map((id) => `done ${id}`));
      // Visibility shows them closed before the batch lists them.
      await eventually(async () => {
        const c = await connection.workflowService.countWorkflowExecutions({ namespace: NS, query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'` });
        return num(c.count) === ids.length;
      }, 30_000, 'completed in visibility');

      const jobId = `reset-${randomUUID()}`;
      await connection.workflowService.startBatchOperation({
        namespace: NS,
        jobId,
        reason: 'replay them',
        visibilityQuery: `TaskQueue = '${taskQueue}'`,
        resetOperation: { identity: 'batch-test', options: { firstWorkflowTask: {} } },
      });
      const closed = await batchClosed(connection, NS, jobId, 60_000);
      expect(closed.state).toBe(BatchState.BATCH_OPERATION_STATE_COMPLETED);
      expect(closed.operationType).toBe(BatchType.BATCH_OPERATION_TYPE_RESET);
      expect({ total: num(closed.totalOperationCount), complete: num(closed.completeOperationCount), failure: num(closed.failureOperationCount) }).toEqual({
        total: 3,
        complete: 3,
        failure: 0,
      });

      for (const [i, workflowId] of ids.entries()) {
        // The current run is a new one, reset from the original, and it completes on the worker.
        const current = client.workflow.getHandle(workflowId);
        expect(await current.result()).toBe(`done ${workflowId}`);
        const d = await current.describe();
        expect(d.runId).not.toBe(firstRuns[i]?.runId);
        const history = await connection.workflowService.getWorkflowExecutionHistory({ namespace: NS, execution: { workflowId, runId: d.runId } });
        const events = history.history?.events ?? [];
        const failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
        expect(failed?.workflowTaskFailedEventAttributes?.baseRunId).toBe(firstRuns[i]?.runId);
        expect(events.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
        // Exactly two runs: the original and one reset run.
        const runs = await eventually(async () => {
          const r = await runsOf(workflowId);
          return r.length === 2 && r.every((e) => e.status === Status.COMPLETED) ? r : undefined;
        }, 30_000, `two completed runs of ${workflowId}`);
        expect(runs.map((r) => r.execution?.runId).sort()).toEqual([firstRuns[i]?.runId, d.runId].sort());
      }
    });
  });

  it('counts a run with no completed workflow task as a failure', { timeout: 60_000 }, async () => {
    // Started with raw gRPC and never polled: no WorkflowTaskCompleted to reset to.
    const workflowId = `no-wft-${randomUUID()}`;
    await connection.workflowService.startWorkflowExecution({ namespace: NS, workflowId, workflowType: { name: 'twoStep' }, taskQueue: { name: `idle-${randomUUID()}` }, requestId: randomUUID() });
    const jobId = `reset-fail-${randomUUID()}`;
    await connection.workflowService.startBatchOperation({
      namespace: NS,
      jobId,
      reason: 'nothing to reset to',
      executions: [{ workflowId }],
      resetOperation: { resetType: 1 /* RESET_TYPE_FIRST_WORKFLOW_TASK */ },
    });
    const closed = await batchClosed(connection, NS, jobId, 60_000);
    expect({ complete: num(closed.completeOperationCount), failure: num(closed.failureOperationCount) }).toEqual({ complete: 0, failure: 1 });
  });

  it('refuses a reset operation without a reset point, or with a build id, before storing anything', async () => {
    const base = { namespace: NS, jobId: `bad-${randomUUID()}`, reason: 'r', executions: [{ workflowId: 'x' }] };
    const codeAndMessage = async (resetOperation: object) => {
      try {
        await connection.workflowService.startBatchOperation({ ...base, resetOperation });
        return undefined;
      } catch (e) {
        return { code: (e as { code?: number }).code, message: (e as Error).message };
      }
    };
    expect(await codeAndMessage({})).toMatchObject({ code: grpcStatus.INVALID_ARGUMENT, message: expect.stringMatching(/reset_operation/) });
    expect(await codeAndMessage({ options: {} })).toMatchObject({ code: grpcStatus.INVALID_ARGUMENT, message: expect.stringMatching(/reset_operation\.options/) });
    expect(await codeAndMessage({ options: { buildId: 'b1' } })).toMatchObject({ code: grpcStatus.UNIMPLEMENTED, message: expect.stringMatching(/build_id/) });
    expect(await codeAndMessage({ resetType: 1, postResetOperations: [{ signalWorkflow: { signalName: 's' } }] })).toMatchObject({
      code: grpcStatus.UNIMPLEMENTED,
      message: expect.stringMatching(/post_reset_operations/),
    });
    const d = await connection.workflowService.describeBatchOperation({ namespace: NS, jobId: base.jobId }).catch((e: { code?: number }) => e.code);
    expect(d).toBe(grpcStatus.NOT_FOUND);
  });
});
