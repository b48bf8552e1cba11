import { randomUUID } from 'node:crypto';
import { TOKENS, type NamespaceResolver } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as nexus from 'nexus-rpc';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNexusTaskToken, NEXUS_DISPATCHER, nexusPlugin, type NexusDispatcher, type NexusTaskResult } from '../src/index.js';
import { Code, grpcError } from './helpers.js';

const NEXUS_TASK_QUEUE_TYPE = 3; // temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_NEXUS
const enc = new TextEncoder();
const dec = new TextDecoder();
const jsonPayload = (v: unknown): temporal.api.common.v1.IPayload => ({ metadata: { encoding: enc.encode('json/plain') }, data: enc.encode(JSON.stringify(v)) });
const fromPayload = (p: temporal.api.common.v1.IPayload | null | undefined): unknown => JSON.parse(dec.decode(p?.data ?? new Uint8Array()));

/** The service the SDK worker hosts: sync operations, failing ones, and an async one that can be canceled. */
const testService = nexus.service('test-service', {
  echo: nexus.operation<{ text: string }, { text: string; timeout: string }>(),
  badRequest: nexus.operation<string, string>(),
  failOperation: nexus.operation<string, string>(),
  startAsync: nexus.operation<string, string>(),
});
const canceled: string[] = [];
const testHandler = nexus.serviceHandler(testService, {
  async echo(ctx, input) {
    return { text: input.text, timeout: ctx.headers['request-timeout'] ?? '' };
  },
  async badRequest() {
    throw new nexus.HandlerError('BAD_REQUEST', 'no good');
  },
  async failOperation() {
    throw new nexus.OperationError('failed', 'the operation failed');
  },
  startAsync: {
    async start(_ctx, input) {
      return nexus.HandlerStartOperationResult.async(`token-${input}`);
    },
    async cancel(_ctx, token) {
      canceled.push(token);
    },
  },
});

const start = (operation: string, input: unknown, capabilities = true): temporal.api.nexus.v1.IRequest => ({
  header: { 'x-custom': 'yes' },
  ...(capabilities ? { capabilities: { temporalFailureResponses: true } } : {}),
  endpoint: 'test-endpoint',
  startOperation: { service: 'test-service', operation, requestId: randomUUID(), payload: jsonPayload(input) },
});
const inMs = (ms: number): Date => new Date(Date.now() + ms);

/**
 * The handler side end to end: the official SDK worker (Rust core) polls PollNexusTaskQueue on a
 * runtime that loads matching and nexus, and the test dispatches through `NEXUS_DISPATCHER` as the
 * caller side will. Raw WorkflowService calls check tokens and polls.
 */
describe.each(testDatabaseConfigs('nexus_tasks'))('Nexus task dispatch on $name', (db) => {
  let database: Awaited<ReturnType<typeof db.open>>;
  let server: TestServer;
  let client: Connection;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let dispatcher: NexusDispatcher;
  let defaultId: string;
  const taskQueue = `handlers-${randomUUID()}`;
  const ws = () => client.workflowService;

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    database = await db.open();
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], database: database.config, namespaces: ['default', 'other'] });
    dispatcher = server.container.get<NexusDispatcher>(NEXUS_DISPATCHER);
    defaultId = await server.container.get<NamespaceResolver>(TOKENS.Namespaces).idOf('default');
    client = await Connection.connect({ address: server.address });
    workerConnection = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({ connection: workerConnection, namespace: 'default', taskQueue, nexusServices: [testHandler] });
    running = worker.run();
    // Wait for the worker's Nexus poller to reach matching, not for a fixed time.
    for (const until = Date.now() + 20_000; ; ) {
      const d = await ws().describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: NEXUS_TASK_QUEUE_TYPE });
      if ((d.pollers ?? []).length > 0) break;
      if (Date.now() > until) throw new Error('no Nexus poller within 20 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  afterAll(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await workerConnection?.close();
    await client?.close();
    await server?.stop();
    await database?.drop();
  }, 60_000);

  const dispatch = (request: temporal.api.nexus.v1.IRequest, ms = 10_000, queue = taskQueue): Promise<NexusTaskResult> =>
    dispatcher.dispatch({ namespaceId: defaultId, taskQueue: queue, request, deadline: inMs(ms) });

  it('returns a sync operation result, with the time left in request-timeout', async () => {
    const r = await dispatch(start('echo', { text: 'hello' }));
    expect(r.outcome).toBe('completed');
    if (r.outcome !== 'completed') return;
    const out = fromPayload(r.response.startOperation?.syncSuccess?.payload) as { text: string; timeout: string };
    expect(out.text).toBe('hello');
    const ms = Number(/^(\d+)ms$/.exec(out.timeout)?.[1]);
    expect(ms).toBeGreaterThan(5_000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });

  it('returns an async operation token, and cancels it', async () => {
    const r = await dispatch(start('startAsync', 'a1'));
    expect(r.outcome === 'completed' && r.response.startOperation?.asyncSuccess?.operationToken).toBe('token-a1');
    const c = await dispatch({ cancelOperation: { service: 'test-service', operation: 'startAsync', operationToken: 'token-a1' } });
    expect(c.outcome === 'completed' && c.response.cancelOperation).toBeTruthy();
    expect(canceled).toContain('token-a1');
  });

  it('returns a HandlerError as a failure, in the Temporal form and in the legacy form', async () => {
    const r = await dispatch(start('badRequest', 'x'));
    expect(r.outcome).toBe('failed');
    if (r.outcome !== 'failed') return;
    expect(r.failure?.nexusHandlerFailureInfo?.type).toBe('BAD_REQUEST');
    const legacy = await dispatch(start('badRequest', 'x', false));
    expect(legacy.outcome === 'failed' && legacy.error?.errorType).toBe('BAD_REQUEST');
  });

  it('returns an OperationError as the start response failure', async () => {
    const r = await dispatch(start('failOperation', 'x'));
    expect(r.outcome).toBe('completed');
    if (r.outcome !== 'completed') return;
    const failure = r.response.startOperation?.failure;
    expect(failure?.message).toBe('the operation failed');
    expect(failure?.applicationFailureInfo?.type).toBe('OperationError');
  });

  it('times out at the deadline when no worker polls the queue, and stores nothing', async () => {
    const started = Date.now();
    const queue = `empty-${randomUUID()}`;
    const r = await dispatch(start('echo', { text: 'nobody' }), 1_500, queue);
    expect(r).toEqual({ outcome: 'timeout', stage: 'no-poller' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Never backlogged: a worker that polls now finds nothing.
    const d = await ws().describeTaskQueue({ namespace: 'default', taskQueue: { name: queue }, taskQueueType: NEXUS_TASK_QUEUE_TYPE, reportStats: true });
    expect(Number(d.stats?.approximateBacklogCount ?? 0)).toBe(0);
    const late = await client.withDeadline(inMs(2_500), () => ws().pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'late' }));
    expect(late.taskToken?.length ?? 0).toBe(0);
  });

  it('hands the request to a raw poll; a second answer, or an answer after the timeout, is NOT_FOUND', async () => {
    const queue = `raw-${randomUUID()}`;
    const polled = ws().pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'raw-worker' });
    const pending = dispatch(start('echo', { text: 'raw' }), 10_000, queue);
    const task = await polled;
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(task.request?.startOperation?.operation).toBe('echo');
    expect(task.request?.endpoint).toBe('test-endpoint');
    expect(task.request?.capabilities?.temporalFailureResponses).toBe(true);
    expect(task.request?.header?.['x-custom']).toBe('yes');
    expect(task.request?.header?.['request-timeout']).toMatch(/^\d+ms$/);
    const response = { startOperation: { syncSuccess: { payload: jsonPayload('done') } } };
    await ws().respondNexusTaskCompleted({ namespace: 'default', identity: 'raw-worker', taskToken: task.taskToken, response });
    const r = await pending;
    expect(r.outcome === 'completed' && fromPayload(r.response.startOperation?.syncSuccess?.payload)).toBe('done');
    expect(r.outcome === 'completed' && r.identity).toBe('raw-worker');
    // Already answered.
    const again = await grpcError(() => ws().respondNexusTaskCompleted({ namespace: 'default', taskToken: task.taskToken, response }), Code.NOT_FOUND);
    expect(again.details).toBe('Nexus task not found or already expired');
    await grpcError(() => ws().respondNexusTaskFailed({ namespace: 'default', taskToken: task.taskToken, failure: { message: 'x' } }), Code.NOT_FOUND);

    // Taken by a worker that never answers: the caller times out, and the late answer is refused.
    const polled2 = ws().pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'slow-worker' });
    const late = dispatch(start('echo', { text: 'slow' }), 1_500, queue);
    const task2 = await polled2;
    expect(await late).toEqual({ outcome: 'timeout', stage: 'no-response' });
    await grpcError(() => ws().respondNexusTaskCompleted({ namespace: 'default', taskToken: task2.taskToken, response }), Code.NOT_FOUND);
  });

  it('refuses a garbled token, or one from another namespace, with INVALID_ARGUMENT', async () => {
    const response = { startOperation: { syncSuccess: { payload: jsonPayload('x') } } };
    const garbled = await grpcError(() => ws().respondNexusTaskCompleted({ namespace: 'default', taskToken: enc.encode('garbage'), response }), Code.INVALID_ARGUMENT);
    expect(garbled.details).toContain('Error deserializing task token.');
    await grpcError(() => ws().respondNexusTaskFailed({ namespace: 'default', taskToken: enc.encode('["nx1",1,2,3]'), failure: { message: 'x' } }), Code.INVALID_ARGUMENT);
    await grpcError(() => ws().respondNexusTaskCompleted({ namespace: 'default', taskToken: new Uint8Array(), response }), Code.INVALID_ARGUMENT);
    // A well-formed token of the namespace 'default', used in 'other'.
    const token = encodeNexusTaskToken({ namespaceId: defaultId, taskQueue, taskId: randomUUID() });
    const other = await grpcError(() => ws().respondNexusTaskCompleted({ namespace: 'other', taskToken: token, response }), Code.INVALID_ARGUMENT);
    expect(other.details).toContain('different namespace');
    // The same token in its own namespace is well formed, but no task is waiting for it.
    await grpcError(() => ws().respondNexusTaskCompleted({ namespace: 'default', taskToken: token, response }), Code.NOT_FOUND);
  });

  it('answers a poll empty shortly before the caller deadline, and keeps the heartbeat it carried', async () => {
    const started = Date.now();
    const workerInstanceKey = `idle-${randomUUID()}`;
    const r = await client.withDeadline(inMs(3_000), () =>
      ws().pollNexusTaskQueue({
        namespace: 'default',
        taskQueue: { name: `idle-${randomUUID()}` },
        identity: 'idle',
        workerHeartbeat: [{ workerInstanceKey, workerIdentity: 'idle', taskQueue: 'idle-queue' }],
      }),
    );
    expect(r.taskToken?.length ?? 0).toBe(0);
    expect(r.request ?? null).toBeNull();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    expect(elapsed).toBeLessThan(3_000);
    const w = await ws().describeWorker({ namespace: 'default', workerInstanceKey });
    expect(w.workerInfo?.workerHeartbeat?.taskQueue).toBe('idle-queue');
  });

  it('reports canceled when the caller aborts, and refuses the late answer', async () => {
    const queue = `abort-${randomUUID()}`;
    const polled = ws().pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'raw-worker' });
    const ctl = new AbortController();
    const pending = dispatcher.dispatch({ namespaceId: defaultId, taskQueue: queue, request: start('echo', { text: 'x' }), deadline: inMs(10_000), signal: ctl.signal });
    const task = await polled;
    ctl.abort();
    expect(await pending).toEqual({ outcome: 'canceled' });
    await grpcError(() => ws().respondNexusTaskFailed({ namespace: 'default', taskToken: task.taskToken, failure: { message: 'late' } }), Code.NOT_FOUND);
  });

  it('counts dispatches by outcome', async () => {
    const text = await server.container.get<Registry>(TOKENS.Metrics).metrics();
    for (const outcome of ['completed', 'operation_error', 'handler_error', 'timeout', 'canceled']) {
      expect(text).toMatch(new RegExp(`chasm_nexus_task_dispatches_total\\{outcome="${outcome}"\\} [1-9]`));
    }
  });
});
