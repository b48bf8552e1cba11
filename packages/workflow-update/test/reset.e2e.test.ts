import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, e2eDialects, quietRuntime, waitUntil } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { long, matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { workflowUpdatePlugin } from '../src/index.js';

const { EventType, ResetReapplyExcludeType, UpdateAdmittedEventOrigin } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

// Reset reapplies the updates a run accepted after the reset point as UpdateAdmitted (Temporal's
// reapplyEvents); the worker accepts and completes them again in the new run.
describe.each(e2eDialects())('reset reapplies updates on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let nativeConnection: NativeConnection;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, workflowUpdatePlugin], database: db.config });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    nativeConnection = await NativeConnection.connect({ address: server.address });
  });
  afterAll(async () => {
    await client?.connection.close();
    await nativeConnection?.close();
    await server?.stop();
    await drop?.();
  });

  const history = async (workflowId: string, runId: string): Promise<HistoryEvent[]> =>
    (await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId } })).history?.events ?? [];

  describe.each([
    { mode: 'cached', maxCachedWorkflows: 100 },
    { mode: 'cache off', maxCachedWorkflows: 0 },
  ])('with the SDK worker ($mode)', ({ maxCachedWorkflows }) => {
    it('an update completed after the reset point runs again in the new run, and not with EXCLUDE_UPDATE', async () => {
      const taskQueue = `reset-upd-${randomUUID().slice(0, 8)}`;
      const worker = await Worker.create({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: bundle,
        maxCachedWorkflows,
        ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
      });
      await worker.runUntil(async () => {
        for (const exclude of [false, true]) {
          const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: `reset-upd-${randomUUID()}` });
          const baseRunId = h.firstExecutionRunId;
          await waitUntil(async () => (await history(h.workflowId, baseRunId)).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED));
          const events = await history(h.workflowId, baseRunId);
          const point = Number(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).at(-1)!.eventId);
          expect(await h.executeUpdate(wf.addUpdate, { args: [5] })).toBe(5);
          const { runId } = await client.workflowService.resetWorkflowExecution({
            namespace: 'default',
            workflowExecution: { workflowId: h.workflowId, runId: baseRunId },
            reason: 'update reapply',
            workflowTaskFinishEventId: long(point),
            requestId: randomUUID(),
            ...(exclude ? { resetReapplyExcludeTypes: [ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE] } : {}),
          });
          const current = client.workflow.getHandle(h.workflowId, runId);
          if (!exclude) {
            await waitUntil(async () => (await history(h.workflowId, runId)).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED));
            const admitted = (await history(h.workflowId, runId)).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED);
            expect(admitted?.workflowExecutionUpdateAdmittedEventAttributes?.origin).toBe(UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY);
          }
          await waitUntil(async () => (await current.query(wf.totalQuery)) === (exclude ? 0 : 5));
          await current.signal(wf.finishSignal);
          expect(await current.result()).toBe(exclude ? 0 : 5);
          const kinds = (await history(h.workflowId, runId)).map((e) => e.eventType);
          expect(kinds.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED)).toBe(!exclude);
        }
      });
    });
  });
});
