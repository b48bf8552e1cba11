import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing/index.js';

describe('SDK worker start-up (@temporalio/worker, Rust core)', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Keep core and the TS runtime quiet: errors only (the missing-namespace case warns by design).
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
    server = await startTestServer();
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
      await new Promise((r) => setTimeout(r, 2_000));
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
