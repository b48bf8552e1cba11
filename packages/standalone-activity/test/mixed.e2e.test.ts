import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime } from './helpers.js';

/**
 * With both features loaded, matching's activity-task router serves the activity-task RPCs and
 * routes each task to the handler of its archetype (ADR 0006): one worker runs a workflow's
 * activity and a standalone activity from the same task queue.
 */
describe('standalone and workflow activities on one task queue', () => {
  let server: TestServer;
  let connection: Connection;
  beforeAll(async () => {
    quietRuntime();
    server = await startTestServer({ packages: ['matching', 'standalone-activity', 'workflow'] });
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('runs both through the shared router', { timeout: 120_000 }, async () => {
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `mixed-${randomUUID()}`;
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
      activities: {
        async greet(name: string) {
          return `hello ${name}`;
        },
      },
    });
    const running = worker.run();
    try {
      const standalone = await client.activity.start('greet', { id: `s-${randomUUID()}`, taskQueue, startToCloseTimeout: '10s', args: ['standalone'] });
      const wf = await client.workflow.start('greetWorkflow', { workflowId: `w-${randomUUID()}`, taskQueue, args: ['workflow'] });
      await expect(standalone.result()).resolves.toBe('hello standalone');
      await expect(wf.result()).resolves.toBe('hello workflow');
    } finally {
      worker.shutdown();
      await running;
      await native.close();
    }
  });
});
