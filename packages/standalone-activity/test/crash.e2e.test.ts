import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { restartableDatabaseConfigs } from '@chasm/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, spawnServer, type ServerProcess } from '../src/testing/index.js';
import { quietRuntime } from './helpers.js';

/**
 * Crash test: 1,000 standalone activities on a durable store, worked by one SDK worker. The
 * server (a child process on the built CLI) is killed with SIGKILL while they run and restarted
 * on the same store and port; the worker keeps running and reconnects. Every activity must end
 * COMPLETED, with exactly one run and one accepted result each. Temporal's delivery is at least
 * once, so an attempt whose start or completion was lost in the crash may run the function
 * again; the test reports how many did and checks the accepted result is one the function
 * actually produced.
 */
const COUNT = 1_000;

const stores = restartableDatabaseConfigs('chasm_sa_crash');

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe.each(stores)('standalone activities survive SIGKILL on $name', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(`completes all ${COUNT} activities exactly once after a kill -9 midway`, { timeout: 240_000 }, async () => {
    quietRuntime();
    const { config: database, drop } = await kind.open();
    cleanups.push(drop);
    const port = await freePort();
    let server: ServerProcess = await spawnServer({ database, port });
    cleanups.push(() => server.kill9());

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `crash-${randomUUID()}`;
    const ids = Array.from({ length: COUNT }, (_, i) => `crash-${i}`);
    await pool(ids, 50, async (id) => {
      await client.activity.start('record', { id, taskQueue, startToCloseTimeout: '5s', retry: { initialInterval: '200ms', maximumInterval: '1s' } });
    });

    /** Every execution of the function, by activity id: the nonce it returned. */
    const executions = new Map<string, string[]>();
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => nativeConnection.close());
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      maxConcurrentActivityTaskExecutions: 200,
      activities: {
        async record() {
          const { Context } = await import('@temporalio/activity');
          const id = Context.current().info.activityId;
          const nonce = randomUUID();
          executions.set(id, [...(executions.get(id) ?? []), nonce]);
          return nonce;
        },
      },
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });

    await eventually(async () => executions.size >= COUNT * 0.3, 60_000, 'a third of the activities executed', 5);
    await server.kill9();
    const executedBeforeKill = executions.size;
    server = await spawnServer({ database, port });

    // The worker reconnects by itself; wait for the server to report every activity completed.
    await eventually(
      async () => (await client.activity.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`)).count === COUNT,
      180_000,
      'every activity completed',
      250,
    );

    const runs = new Map<string, number>();
    for await (const a of client.activity.list(`TaskQueue = '${taskQueue}'`)) {
      expect(a.status).toBe('COMPLETED');
      runs.set(a.activityId, (runs.get(a.activityId) ?? 0) + 1);
    }
    expect(runs.size).toBe(COUNT);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);

    // The accepted result of each activity is one its function produced.
    const mismatched: string[] = [];
    await pool(ids, 25, async (id) => {
      const d = await client.activity.getHandle(id).describe({ includeOutcome: true });
      const result = await d.getResult();
      if (d.status !== 'COMPLETED' || !executions.get(id)?.includes(result as string)) mismatched.push(id);
    });
    expect(mismatched).toEqual([]);

    const repeated = [...executions.values()].filter((n) => n.length > 1).length;
    console.log(
      `[crash ${kind.name}] ${COUNT} completed once each; killed after ${executedBeforeKill} executions; ` +
        `${repeated} activity functions ran more than once (at-least-once delivery across the crash)`,
    );
  });
});
