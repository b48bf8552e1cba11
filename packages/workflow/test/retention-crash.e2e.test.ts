import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { freePort, restartableDatabaseConfigs, type ServerProcess } from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import { NOT_FOUND, eventually, registerWithRetention, statusOf } from './retention-helpers.js';
import type * as wf from './workflows/index.js';

/**
 * Retention timers are task rows written by the closing commit: workflows completed just before
 * the server is killed with SIGKILL are still deleted after the restart, once their retention
 * has passed (the restarted server ran no commit of them, so only the stored timers can do it).
 */
const COUNT = 20;
const RETENTION_S = 10;
const stores = restartableDatabaseConfigs('chasm_retention_crash');
const packages = ['@chasm/matching', '@chasm/workflow'].map((p) => pluginPath(p, import.meta.url));

describe.each(stores)('retention timers survive SIGKILL on $name', (store) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(`deletes ${COUNT} workflows closed before a kill -9 once their retention has passed`, { timeout: 180_000 }, async () => {
    quietRuntime();
    const bundle = await bundleTestWorkflows();
    const { config: database, drop } = await store.open();
    cleanups.push(drop);
    const port = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, packages, logLevel: 'error' });
    let server = await spawn();
    cleanups.push(() => server.kill9());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());

    const namespace = `crash-${randomUUID().slice(0, 8)}`;
    await registerWithRetention(connection, namespace, RETENTION_S);
    const client = new Client({ connection, namespace });
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: workerConnection, namespace, taskQueue: 'crash', workflowBundle: bundle, activities });
    const ids = Array.from({ length: COUNT }, (_, i) => `wf-${i}`);
    await worker.runUntil(async () => {
      const handles = await Promise.all(
        ids.map((workflowId) => client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: 'crash', workflowId, args: ['x'] })),
      );
      for (const h of handles) expect(await h.result()).toBe('Hello, x!');
    });
    await workerConnection.close();

    const closeTimes = new Map<string, number>();
    for (const id of ids) closeTimes.set(id, (await client.workflow.getHandle(id).describe()).closeTime!.getTime());
    // All still there when the server dies: no timer has fired yet.
    expect(Date.now()).toBeLessThan(Math.min(...closeTimes.values()) + RETENTION_S * 1000);
    await server.kill9();
    server = await spawn();

    await Promise.all(
      ids.map(async (id) => {
        const goneAt = await eventually(
          async () => (await statusOf(() => client.workflow.getHandle(id).describe())) === NOT_FOUND && Date.now(),
          60_000,
          `${id} deleted after the restart`,
        );
        expect(goneAt).toBeGreaterThanOrEqual(closeTimes.get(id)! + RETENTION_S * 1000);
      }),
    );
    await eventually(async () => (await client.workflow.count()).count === 0, 30_000, 'visibility count 0');
  });
});
