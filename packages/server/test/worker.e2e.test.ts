import { Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../src/catalogue.js';

describe('SDK worker start-up (@temporalio/worker, Rust core)', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Keep core and the TS runtime quiet: errors only (the missing-namespace case warns by design).
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
    server = await startTestServer({ packages: ['matching', 'standalone-activity'], catalogue: BUILTIN_PLUGINS });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('passes namespace validation, polls, and shuts down cleanly', async () => {
    const connection = await NativeConnection.connect({ address: server.address });
    try {
      const worker = await Worker.create({
        connection,
        namespace: 'default',
        taskQueue: 'q',
        activities: {
          async hello() {
            return 'x';
          },
        },
      });
      const running = worker.run();
      // Wait for the worker's activity poller to reach matching, not for a fixed time.
      const client = await Connection.connect({ address: server.address });
      try {
        for (const deadline = Date.now() + 20_000; ; ) {
          const d = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'q' }, taskQueueType: 2 });
          if ((d.pollers ?? []).length > 0) break;
          if (Date.now() > deadline) throw new Error('no poller within 20 s');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await client.close();
      }
      expect(worker.getState()).toBe('RUNNING');
      const started = Date.now();
      worker.shutdown();
      await expect(running).resolves.toBeUndefined();
      // Shutdown must not wait for a long poll to time out.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await connection.close();
    }
  });

  it('fails Worker.create for an unknown namespace', async () => {
    const connection = await NativeConnection.connect({ address: server.address });
    try {
      await expect(
        Worker.create({ connection, namespace: 'missing', taskQueue: 'q', activities: { async a() {} } }),
      ).rejects.toThrow(/missing|not found|NotFound/i);
    } finally {
      await connection.close();
    }
  });
});
