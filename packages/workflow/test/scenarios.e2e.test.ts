import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  CancelledFailure,
  Client,
  Connection,
  TerminatedFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
} from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '../src/index.js';

// One server and one bundle for the file; each cache mode gets its own worker and task queue.
let server: TestServer;
let bundle: WorkflowBundleWithSourceMap;
let client: Client;
let nativeConnection: NativeConnection;

beforeAll(async () => {
  quietRuntime();
  [server, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin] }), bundleTestWorkflows()]);
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  nativeConnection = await NativeConnection.connect({ address: server.address });
  await client.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { CustomKeywordField: 7 /* KEYWORD_LIST */ },
  });
});
afterAll(async () => {
  await client?.connection.close();
  await nativeConnection?.close();
  await server?.stop();
});

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe.each([
  { mode: 'cached', maxCachedWorkflows: 100 },
  { mode: 'cache off', maxCachedWorkflows: 0 },
])('scenarios with the SDK worker ($mode)', ({ mode, maxCachedWorkflows }) => {
  const taskQueue = `scenarios-${maxCachedWorkflows}`;
  const id = (name: string): string => `${name}-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
      activities,
      maxCachedWorkflows,
      ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
  });

  it('hello world with one activity', async () => {
    const r = await client.workflow.execute<typeof wf.helloActivity>('helloActivity', { taskQueue, workflowId: id('hello'), args: [mode] });
    expect(r).toBe(`Hello, ${mode}!`);
  });

  it('a workflow sleeping 2 s', async () => {
    const started = Date.now();
    const r = await client.workflow.execute<typeof wf.sleeper>('sleeper', { taskQueue, workflowId: id('sleep'), args: [2000] });
    expect(r).toBe('slept enough');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it('signal then query', async () => {
    const h = await client.workflow.start<typeof wf.signalQuery>('signalQuery', { taskQueue, workflowId: id('sq') });
    await h.signal<[number]>('add', 3);
    await h.signal<[number]>('add', 4);
    await waitUntil(async () => (await h.query<number>('total')) === 7);
    await h.signal('finish');
    expect(await h.result()).toBe(7);
  });

  it('a signal sent before any worker runs', async () => {
    const queue = `${taskQueue}-late`;
    const h = await client.workflow.start<typeof wf.signalQuery>('signalQuery', { taskQueue: queue, workflowId: id('early') });
    await h.signal<[number]>('add', 5);
    await h.signal('finish');
    const late = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: queue, workflowBundle: bundle, activities, maxCachedWorkflows });
    const r = await late.runUntil(h.result());
    expect(r).toBe(5);
  });

  it('cancellation caught inside the workflow', async () => {
    const h = await client.workflow.start<typeof wf.cancellable>('cancellable', { taskQueue, workflowId: id('cancel') });
    // Cancel once the workflow is asleep (its first task completed).
    await waitUntil(async () => (await h.describe()).historyLength >= 5);
    await h.cancel();
    expect(await h.result()).toBe('cancellation caught');
  });

  it('cancellation not caught cancels the run', async () => {
    const h = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId: id('cancel2') });
    await waitUntil(async () => (await h.describe()).historyLength >= 5);
    await h.cancel();
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  });

  it('termination', async () => {
    const h = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId: id('term') });
    await h.terminate('enough');
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((await h.describe()).status.name).toBe('TERMINATED');
  });

  it('a child workflow', async () => {
    const workflowId = id('parent');
    const r = await client.workflow.execute<typeof wf.parent>('parent', { taskQueue, workflowId, args: ['kid'] });
    expect(r).toBe('parent got: child says hello to kid');
    const child = await client.workflow.getHandle(`${workflowId}-child`).describe();
    expect(child.status.name).toBe('COMPLETED');
    expect(child.parentExecution?.workflowId).toBe(workflowId);
  });

  it('a child still running when its parent completes is terminated by the parent close policy', async () => {
    const workflowId = id('leaver');
    const childRunId = await client.workflow.execute<typeof wf.leavesChild>('leavesChild', { taskQueue, workflowId });
    const child = client.workflow.getHandle(`${workflowId}-child`, childRunId);
    const err = await child.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    const d = await child.describe();
    expect(d.status.name).toBe('TERMINATED');
    expect(d.parentExecution?.workflowId).toBe(workflowId);
  });

  it('continue-as-new three times, the result followed through the chain', async () => {
    const h = await client.workflow.start<typeof wf.chain>('chain', { taskQueue, workflowId: id('chain'), args: [0] });
    expect(await h.result()).toBe(30);
    const last = await client.workflow.getHandle(h.workflowId).describe();
    expect(last.runId).not.toBe(h.firstExecutionRunId);
  });

  it('activity retry then success', async () => {
    const r = await client.workflow.execute<typeof wf.retryActivity>('retryActivity', { taskQueue, workflowId: id('retry'), args: [2] });
    expect(r).toBe('succeeded on attempt 3');
  });

  it('a workflow that fails', async () => {
    const err = await client.workflow
      .execute<typeof wf.failing>('failing', { taskQueue, workflowId: id('fail') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).message).toBe('boom');
  });

  it('local activities', async () => {
    const r = await client.workflow.execute<typeof wf.localActivity>('localActivity', { taskQueue, workflowId: id('local'), args: ['L'] });
    expect(r).toBe('Hello, L!');
  });

  it('a search attribute upserted, then found by List with a query', async () => {
    const value = `v-${randomUUID().slice(0, 8)}`;
    const workflowId = id('sa');
    await client.workflow.execute<typeof wf.upsertAttribute>('upsertAttribute', { taskQueue, workflowId, args: [value] });
    await waitUntil(async () => {
      const found: string[] = [];
      for await (const e of client.workflow.list({ query: `CustomKeywordField = '${value}' AND WorkflowType = 'upsertAttribute'` })) {
        found.push(e.workflowId);
      }
      return found.length === 1 && found[0] === workflowId;
    });
  });

  it('memo in Describe', async () => {
    const h = await client.workflow.start<typeof wf.quick>('quick', { taskQueue, workflowId: id('memo'), memo: { owner: 'me', n: 1 } });
    await h.result();
    const d = await h.describe();
    expect(d.memo).toEqual({ owner: 'me', n: 1 });
  });

  it('the same id under each reuse and conflict policy', async () => {
    const workflowId = id('reuse');
    type Policies = {
      workflowIdReusePolicy?: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' | 'REJECT_DUPLICATE';
      workflowIdConflictPolicy?: 'FAIL' | 'USE_EXISTING' | 'TERMINATE_EXISTING';
    };
    const start = (opts: Policies = {}) => client.workflow.start<typeof wf.quick>('quick', { taskQueue, workflowId, ...opts });
    const first = await start();
    await first.result();
    // ALLOW_DUPLICATE (default): a new run after the first closed.
    const second = await start({ workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
    expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    await second.result();
    // REJECT_DUPLICATE and ALLOW_DUPLICATE_FAILED_ONLY after a completed run: rejected.
    await expect(start({ workflowIdReusePolicy: 'REJECT_DUPLICATE' })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(start({ workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    // After a terminated run, ALLOW_DUPLICATE_FAILED_ONLY allows.
    const forever = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId });
    await forever.terminate();
    const third = await start({ workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' });
    await third.result();
    // Conflict policies against a running run.
    const running = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId });
    await expect(start()).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const same = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId, workflowIdConflictPolicy: 'USE_EXISTING' });
    expect(same.firstExecutionRunId).toBe(running.firstExecutionRunId);
    const replaced = await start({ workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    expect(replaced.firstExecutionRunId).not.toBe(running.firstExecutionRunId);
    expect((await client.workflow.getHandle(workflowId, running.firstExecutionRunId).describe()).status.name).toBe('TERMINATED');
    expect(await replaced.result()).toBe('done');
  });
});
