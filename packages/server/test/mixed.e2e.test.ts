import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../src/catalogue.js';

/**
 * Cross-feature tests live in the app that composes the features, so that no feature package
 * depends on another for its tests. With both features loaded, matching's activity-task router
 * serves the activity-task RPCs and routes each task to the handler of its archetype (ADR 0006):
 * one worker runs a workflow's activity and a standalone activity from the same task queue.
 */
describe('standalone and workflow activities on one task queue', () => {
  let server: TestServer;
  let connection: Connection;
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    [server, bundle] = await Promise.all([
      startTestServer({ packages: ['matching', 'standalone-activity', 'workflow'], catalogue: BUILTIN_PLUGINS }),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
    ]);
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
      workflowBundle: bundle,
      activities,
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

  it('retries a workflow activity through the shared router', async () => {
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `mixed-${randomUUID()}`;
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, activities });
    try {
      await worker.runUntil(async () => {
        const r = await client.workflow.execute('retryActivity', { taskQueue, workflowId: `r-${randomUUID()}`, args: [1] });
        expect(r).toBe('succeeded on attempt 2');
      });
    } finally {
      await native.close();
    }
  });
});

const activities = {
  async greet(name: string): Promise<string> {
    return `hello ${name}`;
  },
  async flaky(failures: number): Promise<string> {
    const attempt = Context.current().info.attempt;
    if (attempt <= failures) throw new Error(`attempt ${attempt} failed`);
    return `succeeded on attempt ${attempt}`;
  },
};
