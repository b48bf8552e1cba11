import { ActivityNotFoundError, Client, Connection } from '@temporalio/client';
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

  it('hands workflow activities to a raw poller, and completes and heartbeats them by id', async () => {
    // A worker for workflows only: the activity task is ours to poll through the router.
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue: 'by-id', workflowBundle: bundle });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    await worker.runUntil(async () => {
      const h = await client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: 'by-id', workflowId: 'by-id-1', args: ['World'] });
      const task = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'by-id' }, identity: 'raw' });
      expect(task.activityType?.name).toBe('greet');
      expect(task.workflowExecution?.workflowId).toBe('by-id-1');
      expect(task.attempt).toBe(1);
      const id = { workflowId: 'by-id-1', activityId: task.activityId ?? '' };
      await client.activity.heartbeat(id, 'beating');
      await expect(client.activity.complete({ ...id, activityId: 'no-such-activity' }, 'x')).rejects.toBeInstanceOf(ActivityNotFoundError);
      await client.activity.complete(id, 'done by id');
      expect(await h.result()).toBe('done by id');
      // The attempt is over: its token is stale.
      await expect(client.activity.complete(task.taskToken, 'again')).rejects.toBeInstanceOf(ActivityNotFoundError);
    });
    await client.connection.close();
    await connection.close();
  });
});
