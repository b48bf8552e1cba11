import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '../src/index.js';

describe('hello world through the SDK', () => {
  let server: TestServer;
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    quietRuntime();
    [server, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin] }), bundleTestWorkflows()]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs a workflow with one activity', async () => {
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue: 'hello', workflowBundle: bundle, activities });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    await worker.runUntil(async () => {
      const r = await client.workflow.execute<typeof wf.helloActivity>('helloActivity', { taskQueue: 'hello', workflowId: 'hello-1', args: ['World'] });
      expect(r).toBe('Hello, World!');
    });
    await client.connection.close();
    await connection.close();
  });
});
