    // The client retries its call (UNAVAILABLE while the server is down); should its retries run
    // out first, the update is sent again with the same id, as an application retrying it would.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { restartableDatabaseConfigs } from '@chasm/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { freePort, spawnServer, type ServerProcess } from '../src/testing/server-process.js';

/**
 * kill -9 while a speculative workflow task is out (ADR 0034): nothing of the update was
 * written, so it is lost with the process, and the client's retry of UpdateWorkflowExecution
 * (same update id) after the restart admits and completes it once. The token of the lost task
 * cannot complete anything, and the history stays one the SDK replays.
 */
const { EventType } = temporal.api.enums.v1;
const stores = restartableDatabaseConfigs('chasm_upd_spec_crash');

describe.each(stores)('an update whose speculative task is out when the server is killed ($name)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('is lost with the process; the retried update completes once after the restart, and the history replays', { timeout: 240_000 }, async () => {
    quietRuntime();
    const bundle = await bundleTestWorkflows();
    const { config: database, drop } = await kind.open();
    cleanups.push(drop);
    const port = await freePort();
    let server: ServerProcess = await spawnServer({ database, port });
    cleanups.push(() => server.kill9());
    const taskQueue = `spec-crash-${randomUUID()}`;
    const workflowId = `spec-crash-${randomUUID()}`;
    const updateId = `u-${randomUUID()}`;

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    const handle = await client.workflow.start(wf.counter, { taskQueue, workflowId });
    // The first task by a real worker, which then leaves (no sticky queue left behind).
    {
      const native = await NativeConnection.connect({ address: server.address });
      const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
      await worker.runUntil(async () => expect(await handle.executeUpdate(wf.addUpdate, { args: [1] })).toBe(1));
      await native.close();
    }
    const lengthBefore = (await handle.fetchHistory()).events?.length ?? 0;

    // A hand-driven poller takes the update's speculative task: the task is out.
    const raw = await Connection.connect({ address: server.address, interceptors: [] });
    const polled = raw.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: 1 }, identity: 'hand' });
    // Settled either way at once, so a rejection while the server is down is never unhandled.
    const first = handle.executeUpdate(wf.addUpdate, { args: [5], updateId }).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    const out = await polled;
    await raw.close();
    expect(out.messages?.map((m) => m.protocolInstanceId)).toEqual([updateId]);
    // Speculative: nothing written yet.
    expect((await handle.fetchHistory()).events?.length).toBe(lengthBefore);

    await server.kill9();
    server = await spawnServer({ database, port });

    // The client retries its call (UNAVAILABLE while the server is down); should its retries run
    // out first, the update is sent again with the same id, as an application retrying it would.
    const native = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => native.close());
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const r = await first;
      expect(r.ok ? r.v : await handle.executeUpdate(wf.addUpdate, { args: [5], updateId })).toBe(6);
      expect(await handle.getUpdateHandle<number>(updateId).result()).toBe(6);
      // The lost task's token names nothing any more.
      const stale = await connection.workflowService
        .respondWorkflowTaskCompleted({ namespace: 'default', taskToken: out.taskToken, identity: 'hand', commands: [] })
        .then(() => 'completed', (e: { code?: number }) => e.code);
      expect(stale).toBe(5); // NOT_FOUND
      await handle.signal(wf.finishSignal);
      expect(await handle.result()).toBe(6);
    });
    const history = await handle.fetchHistory();
    const accepted = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId)).toContain(updateId);
    expect(accepted.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId === updateId)).toHaveLength(1);
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
  });
});
