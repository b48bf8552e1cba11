import { randomUUID } from 'node:crypto';
import { freePort, pool, type ServerProcess, restartableDatabaseConfigs } from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { Client, Connection, NexusOperationAlreadyStartedError, type NexusOperationHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleCallerWorkflows, callerTestHandler, createEndpoint, eventually, handlerLog, quietRuntime, waitForNexusPoller } from './caller-helpers.js';
import { callerTestService } from './workflows/service.js';

/**
 * Crash test for standalone Nexus operations (issue 13): 200 operations started with the SDK's
 * NexusClient, each async and workflow-backed, its handler workflow waiting for a `release`
 * signal. The server is the runtime CLI in a child process (matching, workflow and nexus loaded by
 * path); an SDK worker in this process hosts the Nexus service and runs the handler workflows. Once
 * about half of the operations have reached the handler, the server is killed with SIGKILL and
 * restarted on the same store and port (the SDK connections reconnect). Then every handler workflow
 * is released, and every operation must complete with its own result, exactly once: Describe shows
 * it COMPLETED, and there is exactly one handler workflow run per operation (a retried start after
 * the crash is deduplicated, not a second run).
 */
const COUNT = 200;

const stores = restartableDatabaseConfigs('chasm_nexus_sa_crash');

const packages = ['@chasm/matching', '@chasm/workflow', '@chasm/nexus'].map((p) => pluginPath(p, import.meta.url));

describe.each(stores)('standalone Nexus operations in flight survive SIGKILL on $name', (store) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(`completes all ${COUNT} standalone async operations, each exactly once, after a kill -9 midway`, { timeout: 240_000 }, async () => {
    quietRuntime();
    const { config: database, drop } = await store.open();
    cleanups.push(drop);
    const port = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, packages, logLevel: 'error' });
    let server = await spawn();
    cleanups.push(() => server.kill9());
    const bundle = await bundleCallerWorkflows();

    // One connection for the whole test: the server comes back on the same port and the SDK reconnects.
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const run = randomUUID().slice(0, 8);
    const endpoint = `sa-crash-${run}`;
    const handlerQueue = `sa-crash-handlers-${run}`;
    await createEndpoint(connection, endpoint, handlerQueue);

    const native = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => native.close());
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue: handlerQueue,
      workflowBundle: bundle,
      maxConcurrentWorkflowTaskExecutions: 100,
      nexusServices: [callerTestHandler],
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    await waitForNexusPoller(connection, handlerQueue);

    const svc = client.nexus.createServiceClient({ endpoint, service: callerTestService });
    const handlerId = (i: number): string => `sa-crash-handler-${run}-${i}`;
    const opId = (i: number): string => `sa-crash-op-${run}-${i}`;
    const handlerStarts = (): number => [...handlerLog.waitSignalStarts.keys()].filter((k) => k.startsWith(`sa-crash-handler-${run}-`)).length;

    // Starts run while the server is killed: a start that fails for the outage is retried; one
    // whose first attempt was stored (but whose response was lost) is then refused as already
    // started, and the operation is the stored one.
    const handles: NexusOperationHandle<string>[] = [];
    const start = async (i: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          handles[i] = await svc.startOperation('waitSignal', { n: i, workflowId: handlerId(i) }, { id: opId(i), scheduleToCloseTimeout: '5m' });
          return;
        } catch (e) {
          if (e instanceof NexusOperationAlreadyStartedError) {
            handles[i] = client.nexus.getHandle<string>(opId(i));
            return;
          }
          if (attempt >= 100) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    const starting = pool(
      Array.from({ length: COUNT }, (_, i) => i),
      50,
      start,
    );

    // Kill once about half the operations reached the handler, while the rest are in flight.
    await eventually(async () => handlerStarts() >= COUNT / 2, 60_000, `${COUNT / 2} operations reaching the handler`);
    const atKill = handlerStarts();
    await server.kill9();
    server = await spawn();
    expect(atKill).toBeLessThan(COUNT);
    await starting;
    expect(handles.filter(Boolean)).toHaveLength(COUNT);

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

    const results = await Promise.all(handles.map((h) => h.result()));
    results.forEach((r, i) => expect(r).toBe(`done-${i}`));

    // Each operation completed once, and exactly one handler run per operation.
    await pool(
      Array.from({ length: COUNT }, (_, i) => i),
      20,
      async (i) => {
        const d = await client.nexus.getHandle(opId(i)).describe();
        expect(d.raw.status, `${opId(i)} status`).toBe(2); // COMPLETED
        expect(d.raw.attempt, `${opId(i)} attempt`).toBeGreaterThanOrEqual(1);
        const runs = await client.workflow.count(`WorkflowId = '${handlerId(i)}'`);
        expect(Number(runs.count), `${handlerId(i)} runs`).toBe(1);
      },
    );
  });
});
