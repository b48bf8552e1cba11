import { randomUUID } from 'node:crypto';
import { freePort, pool, type ServerProcess, restartableDatabaseConfigs } from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bundleCallerWorkflows,
  callerTestHandler,
  createEndpoint,
  eventually,
  eventsOf,
  EventType,
  handlerLog,
  quietRuntime,
  rawHistory,
  waitForNexusPoller,
} from './caller-helpers.js';
import type * as wf from './workflows/caller-workflows.js';

/**
 * Crash test: 200 caller workflows each run one async, workflow-backed Nexus operation whose
 * handler workflow waits for a `release` signal. The server is the runtime CLI in a child process
 * (matching, workflow and nexus loaded by path); SDK workers in this process run the callers and
 * host the Nexus service. Once about half of the operations have reached the handler, the server is
 * killed with SIGKILL and restarted on the same store and port. Then every handler workflow is
 * released, and every caller must complete with its own result, its history holding exactly one
 * NexusOperationScheduled and exactly one NexusOperationCompleted, and exactly one handler workflow
 * run per operation (a retried start after the crash is deduplicated, not a second run).
 */
const COUNT = 200;

const stores = restartableDatabaseConfigs('chasm_nexus_crash');

const packages = ['@chasm/matching', '@chasm/workflow', '@chasm/nexus'].map((p) => pluginPath(p, import.meta.url));

describe.each(stores)('Nexus operations in flight survive SIGKILL on $name', (store) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(`completes all ${COUNT} async operations, each exactly once, after a kill -9 midway`, { timeout: 240_000 }, async () => {
    quietRuntime();
    const { config: database, drop } = await store.open();
    cleanups.push(drop);
    const port = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, packages, logLevel: 'error' });
    let server = await spawn();
    cleanups.push(() => server.kill9());
    const bundle = await bundleCallerWorkflows();

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const run = randomUUID().slice(0, 8);
    const endpoint = `crash-${run}`;
    const handlerQueue = `crash-handlers-${run}`;
    const callerQueue = `crash-callers-${run}`;
    await createEndpoint(connection, endpoint, handlerQueue);

    const native = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => native.close());
    for (const [taskQueue, nexus] of [
      [handlerQueue, true],
      [callerQueue, false],
    ] as const) {
      const worker = await Worker.create({
        connection: native,
        namespace: 'default',
        taskQueue,
        workflowBundle: bundle,
        maxConcurrentWorkflowTaskExecutions: 100,
        ...(nexus ? { nexusServices: [callerTestHandler] } : {}),
      });
      const running = worker.run();
      cleanups.push(async () => {
        worker.shutdown();
        await running;
      });
    }
    await waitForNexusPoller(connection, handlerQueue);

    const handlerId = (i: number): string => `crash-handler-${run}-${i}`;
    const callerIds = Array.from({ length: COUNT }, (_, i) => `crash-caller-${run}-${i}`);
    const handlerStarts = (): number => [...handlerLog.waitSignalStarts.keys()].filter((k) => k.startsWith(`crash-handler-${run}-`)).length;
    await pool(
      callerIds.map((workflowId, i) => ({ workflowId, i })),
      50,
      async ({ workflowId, i }) => {
        await client.workflow.start<typeof wf.callSignalled>('callSignalled', { taskQueue: callerQueue, workflowId, args: [endpoint, i, handlerId(i)] });
      },
    );

    // Kill once about half the operations reached the handler, while the rest are being scheduled.
    await eventually(async () => handlerStarts() >= COUNT / 2, 60_000, `${COUNT / 2} operations reaching the handler`);
    const atKill = handlerStarts();
    await server.kill9();
    server = await spawn();
    expect(atKill).toBeLessThan(COUNT);

    // Every operation's handler workflow comes to exist (the rest are started after the restart).
    const countRunning = async (): Promise<number> =>
      Number((await client.workflow.count(`WorkflowType = 'signalledHandler' AND TaskQueue = '${handlerQueue}' AND ExecutionStatus = 'Running'`)).count);
    await eventually(async () => (await countRunning()) >= COUNT, 90_000, `${COUNT} running handler workflows`).catch(async (e: unknown) => {
      throw new Error(`${(e as Error).message}; running now: ${await countRunning()}`);
    });
    await pool(
      Array.from({ length: COUNT }, (_, i) => i),
      50,
      async (i) => {
        await client.workflow.getHandle(handlerId(i)).signal<[]>('release');
      },
    );

    const results = await Promise.all(callerIds.map((id) => client.workflow.getHandle<typeof wf.callSignalled>(id).result()));
    results.forEach((r, i) => expect(r).toBe(`done-${i}`));

    // Exactly one operation and one completion per caller; exactly one handler run per operation.
    await pool(
      callerIds.map((id, i) => ({ id, i })),
      20,
      async ({ id, i }) => {
        const events = await rawHistory(client, id);
        expect(eventsOf(events, EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED), `${id} scheduled`).toHaveLength(1);
        const completed = eventsOf(events, EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED);
        expect(completed, `${id} completed`).toHaveLength(1);
        expect(eventsOf(events, EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED).length, `${id} started`).toBeLessThanOrEqual(1);
        expect(eventsOf(events, EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED), `${id} failed`).toHaveLength(0);
        const runs = await client.workflow.count(`WorkflowId = '${handlerId(i)}'`);
        expect(Number(runs.count), `${handlerId(i)} runs`).toBe(1);
      },
    );
  });
});
