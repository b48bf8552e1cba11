import { randomUUID } from 'node:crypto';
import { Client, Connection, QueryNotRegisteredError, QueryRejectedError, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '../src/index.js';

const taskQueue = 'api';
let server: TestServer;
let bundle: WorkflowBundleWithSourceMap;
let client: Client;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const id = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  quietRuntime();
  [server, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin] }), bundleTestWorkflows()]);
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  native = await NativeConnection.connect({ address: server.address });
  worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, activities });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await client?.connection.close();
  await native?.close();
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

describe('workflow API semantics', () => {
  it('signal-with-start starts a run with the signal as event 2, then signals the running one', async () => {
    const workflowId = id('sws');
    const h = await client.workflow.signalWithStart<typeof wf.echoSignals, [string]>('echoSignals', {
      taskQueue,
      workflowId,
      signal: 'echo',
      signalArgs: ['one'],
    });
    const again = await client.workflow.signalWithStart<typeof wf.echoSignals, [string]>('echoSignals', {
      taskQueue,
      workflowId,
      signal: 'echo',
      signalArgs: ['stop'],
    });
    expect(again.signaledRunId).toBe(h.signaledRunId);
    expect(await h.result()).toEqual(['one', 'stop']);
    const history = await h.fetchHistory();
    expect(history.events?.[1]?.workflowExecutionSignaledEventAttributes?.signalName).toBe('echo');
  });

  it('retries a failing workflow under its retry policy and follows the chain to the result', async () => {
    const r = await client.workflow.execute<typeof wf.failUntilAttempt>('failUntilAttempt', {
      taskQueue,
      workflowId: id('retry'),
      args: [3],
      retry: { initialInterval: '100ms', maximumAttempts: 5 },
    });
    expect(r).toBe(3);
  });

  it('reports the retry state when the attempts run out', async () => {
    const err = await client.workflow
      .execute<typeof wf.failUntilAttempt>('failUntilAttempt', {
        taskQueue,
        workflowId: id('retry-out'),
        args: [10],
        retry: { initialInterval: '50ms', maximumAttempts: 2 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
  });

  it('retries a failing workflow task with growing attempts until terminated', async () => {
    const h = await client.workflow.start<typeof wf.brokenTask>('brokenTask', { taskQueue, workflowId: id('broken'), workflowTaskTimeout: '1s' });
    await waitUntil(async () => ((await h.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 2);
    const events = (await h.fetchHistory()).events ?? [];
    // Only the first failure is in history; later attempts are transient.
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes).length).toBe(1);
    await h.terminate('stop');
  });

  it('delays the first workflow task by the start delay', async () => {
    const started = Date.now();
    const h = await client.workflow.start<typeof wf.quick>('quick', { taskQueue, workflowId: id('delay'), startDelay: '1s' });
    expect(await h.result()).toBe('done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const first = (await h.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(Number(first?.firstWorkflowTaskBackoff?.seconds)).toBe(1);
  });

  it('times a run out after its run timeout', async () => {
    const h = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId: id('timeout'), workflowRunTimeout: '1s' });
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((await h.describe()).status.name).toBe('TIMED_OUT');
  });

  it('pages history forwards and backwards, and long-polls for new events', async () => {
    const h = await client.workflow.start<typeof wf.signalQuery>('signalQuery', { taskQueue, workflowId: id('hist') });
    await waitUntil(async () => (await h.describe()).historyLength >= 4);
    const svc = client.workflowService;
    const execution = { workflowId: h.workflowId };
    const page1 = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution, maximumPageSize: 2 });
    expect(page1.history?.events?.map((e) => Number(e.eventId))).toEqual([1, 2]);
    const page2 = await svc.getWorkflowExecutionHistory({ namespace: 'default', execution, maximumPageSize: 2, nextPageToken: page1.nextPageToken });
    expect(page2.history?.events?.map((e) => Number(e.eventId))).toEqual([3, 4]);
    const reverse = await svc.getWorkflowExecutionHistoryReverse({ namespace: 'default', execution, maximumPageSize: 2 });
    const last = Number(reverse.history?.events?.[0]?.eventId);
    expect(Number(reverse.history?.events?.[1]?.eventId)).toBe(last - 1);
    // Long poll from the end: answered when the signal arrives.
    const waiting = svc.getWorkflowExecutionHistory({
      namespace: 'default',
      execution,
      waitNewEvent: true,
      nextPageToken: new TextEncoder().encode(JSON.stringify({ r: (await h.describe()).runId, n: last + 1 })),
    });
    // This sleep is the point: with no new event for 200 ms, the long poll must still be waiting.
    const early = await Promise.race([waiting.then(() => 'answered'), new Promise((r) => setTimeout(r, 200, 'still waiting'))]);
    expect(early).toBe('still waiting');
    await h.signal<[number]>('add', 1);
    const polled = await waiting;
    expect(polled.history?.events?.[0]?.workflowExecutionSignaledEventAttributes?.signalName).toBe('add');
    await h.signal('finish');
    await h.result();
  });

  it('counts with GROUP BY ExecutionStatus, lists in order, and rejects malformed queries', async () => {
    const queue = `count-${randomUUID().slice(0, 8)}`;
    const w = await Worker.create({ connection: native, namespace: 'default', taskQueue: queue, workflowBundle: bundle, activities });
    await w.runUntil(async () => {
      for (let i = 0; i < 3; i++) await client.workflow.execute<typeof wf.quick>('quick', { taskQueue: queue, workflowId: `${queue}-${i}` });
      const h = await client.workflow.start<typeof wf.forever>('forever', { taskQueue: queue, workflowId: `${queue}-open` });
      await waitUntil(async () => (await client.workflow.count(`TaskQueue = '${queue}'`)).count === 4);
      const grouped = await client.workflow.count(`TaskQueue = '${queue}' GROUP BY ExecutionStatus`);
      const byStatus = Object.fromEntries(grouped.groups.map((g) => [String(g.groupValues[0]), g.count]));
      expect(byStatus).toEqual({ Completed: 3, Running: 1 });
      const listed: string[] = [];
      for await (const e of client.workflow.list({ query: `TaskQueue = '${queue}' AND WorkflowId STARTS_WITH '${queue}-' ORDER BY StartTime ASC` })) {
        listed.push(e.workflowId);
      }
      expect(listed).toEqual([0, 1, 2].map((i) => `${queue}-${i}`).concat(`${queue}-open`));
      await h.terminate();
    });
    const err = await client.workflow.count(`TaskQueue = `).catch((e: unknown) => e);
    expect(String((err as Error).cause)).toMatch(/INVALID_ARGUMENT.*expected a value at position 13/);
  });

  it('deletes a run', async () => {
    const h = await client.workflow.start<typeof wf.forever>('forever', { taskQueue, workflowId: id('del') });
    await client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: h.workflowId } });
    await expect(h.describe()).rejects.toThrow(/not found/i);
  });

  it('answers queries on closed runs by replay, and rejects them under NOT_OPEN', async () => {
    const h = await client.workflow.start<typeof wf.signalQuery>('signalQuery', { taskQueue, workflowId: id('qr') });
    await h.signal<[number]>('add', 2);
    await h.signal('finish');
    await h.result();
    expect(await h.query<number>('total')).toBe(2);
    await expect(h.query('nope')).rejects.toBeInstanceOf(QueryNotRegisteredError);
    const strict = new Client({ connection: client.connection, workflow: { queryRejectCondition: 'NOT_OPEN' } });
    await expect(strict.workflow.getHandle(h.workflowId).query('total')).rejects.toBeInstanceOf(QueryRejectedError);
  });
});
