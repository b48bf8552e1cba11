import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TOKENS, type DatabaseConfig, type NamespaceResolver } from '@chasm/core';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { Workflow, workflowPlugin } from '@chasm/workflow';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nexusPlugin } from '../src/index.js';
import { CallbackTokenSigner } from '../src/http/callback-token.js';
import { encodeCallbackData } from '../src/operation/callback-data.js';
import { bundleCallerWorkflows, callerTestHandler, createEndpoint, eventually, EventType, handlerLog, quietRuntime, rawHistory, waitForNexusPoller } from './caller-helpers.js';
import { restartableDatabases } from './helpers.js';
import type * as wf from './workflows/caller-workflows.js';

const SERVICE = 'caller-test';
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;

interface Captured {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in foreign Nexus caller: records the completions POSTed to its callback URL. */
async function callbackSink(): Promise<{ url: string; received: Captured[]; close(): Promise<void> }> {
  const received: Captured[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/callback`, received, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * The Nexus HTTP API (ADR 0014) with a plain HTTP client (fetch) in front and the official SDK
 * worker as the handler: start (sync, async with a foreign callback URL), cancel, error statuses;
 * the callback URL with signed tokens; and an external-target endpoint pointing at this server's
 * own HTTP API serving a workflow caller end to end.
 */
describe.each(restartableDatabases())('the Nexus HTTP API on $name', (db) => {
  let database: { config: DatabaseConfig; drop(): Promise<void> };
  let server: TestServer;
  let connection: Connection;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;
  let base: string;
  let endpointId: string;
  const run = randomUUID().slice(0, 8);
  const handlerQueue = `nexus-http-handlers-${run}`;
  const callerQueue = `nexus-http-callers-${run}`;
  const externalEndpoint = `external-${run}`;
  const stops: (() => Promise<void>)[] = [];

  const startWorker = async (taskQueue: string, nexus: boolean): Promise<void> => {
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, ...(nexus ? { nexusServices: [callerTestHandler] } : {}) });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
    });
  };

  const opUrl = (operation: string, id = endpointId): string => `${base}/nexus/endpoints/${id}/services/${SERVICE}/${operation}`;
  const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    quietRuntime();
    database = await db.open();
    [server, bundle] = await Promise.all([
      startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], database: database.config, httpPort: 0, namespaces: ['default', 'other'] }),
      bundleCallerWorkflows(),
    ]);
    base = `http://127.0.0.1:${server.httpPort}`;
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
    endpointId = await createEndpoint(connection, `http-${run}`, handlerQueue);
    await connection.operatorService.createNexusEndpoint({
      spec: { name: externalEndpoint, target: { external: { url: `${base}/nexus/endpoints/${endpointId}/services` } } },
    });
    await startWorker(handlerQueue, true);
    await startWorker(callerQueue, false);
    await waitForNexusPoller(connection, handlerQueue);
  }, 120_000);

  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await connection?.close();
    await server?.stop();
    await database?.drop();
  }, 60_000);

  it('a sync operation: 200 with the result as the body, typed like the payload', async () => {
    const res = await post(opUrl('echo'), 'over http', { 'nexus-request-id': randomUUID() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toBe('echo: over http');
  });

  it('an async operation: 201 with the token and links; the handler workflow completes to the caller-given callback URL', async () => {
    const sink = await callbackSink();
    try {
      const workflowId = `http-async-${randomUUID().slice(0, 8)}`;
      const res = await fetch(`${opUrl('runWorkflow')}?callback=${encodeURIComponent(sink.url)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'nexus-request-id': randomUUID(), 'nexus-callback-token': 'caller-context-1' },
        body: JSON.stringify({ name: 'http', workflowId }),
      });
      expect(res.status).toBe(201);
      const info = (await res.json()) as { token: string; state: string };
      expect(info.state).toBe('running');
      expect(info.token).toBeTruthy();
      expect(res.headers.get('nexus-link') ?? '').toContain(`/workflows/${workflowId}/`);
      const got = await eventually(async () => sink.received[0], 20_000, 'the completion callback');
      expect(got.headers['nexus-operation-state']).toBe('succeeded');
      expect(got.headers['token']).toBe('caller-context-1');
      expect(got.headers['content-type']).toBe('application/json');
      expect(JSON.parse(got.body)).toBe('Hello, http!');
      expect(Number.isNaN(Date.parse(String(got.headers['nexus-operation-close-time'])))).toBe(false);
    } finally {
      await sink.close();
    }
  });

  it('cancel: 202 once the handler took it; the token comes in nexus-operation-token', async () => {
    const res = await post(opUrl('hang'), 'to-cancel', { 'nexus-request-id': randomUUID() });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    const cancel = await fetch(`${opUrl('hang')}/cancel`, { method: 'POST', headers: { 'nexus-operation-token': token } });
    expect(cancel.status).toBe(202);
    expect(handlerLog.hangCancels).toContain(token);
    const missing = await fetch(`${opUrl('hang')}/cancel`, { method: 'POST' });
    expect(missing.status).toBe(400);
  });

  it('errors: operation failure 424 with the state, handler errors at their statuses, unknown endpoint 404', async () => {
    const failed = await post(opUrl('failSync'), 'boom');
    expect(failed.status).toBe(424);
    expect(failed.headers.get('nexus-operation-state')).toBe('failed');
    expect(((await failed.json()) as { message: string }).message).toContain('the operation failed: boom');

    const bad = await post(opUrl('badRequest'), 'nope');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('bad request: nope');

    const internal = await post(opUrl('flaky'), { failures: 100, key: `http-${randomUUID()}` }, { 'nexus-request-id': randomUUID() });
    expect(internal.status).toBe(500);
    expect(internal.headers.get('nexus-request-retryable')).toBe('true');

    const unknownOp = await post(opUrl('noSuchOperation'), 'x');
    expect([404, 501]).toContain(unknownOp.status);

    const unknownEndpoint = await post(opUrl('echo', randomUUID()), 'x');
    expect(unknownEndpoint.status).toBe(404);
    expect(await unknownEndpoint.json()).toMatchObject({ message: 'nexus endpoint not found' });

    const badTimeout = await post(opUrl('echo'), 'x', { 'request-timeout': 'soon' });
    expect(badTimeout.status).toBe(400);
  });

  it('an external endpoint pointing at this HTTP API serves a workflow caller: sync, and async completed through the signed callback URL', async () => {
    const sync = await client.workflow.start<typeof wf.callEcho>('callEcho', { taskQueue: callerQueue, workflowId: `ext-sync-${run}`, args: [externalEndpoint, 'via http'] });
    expect(await sync.result()).toBe('echo: via http');
    const handlerWf = `ext-handler-${run}`;
    const async = await client.workflow.start<typeof wf.callWorkflowOperation>('callWorkflowOperation', {
      taskQueue: callerQueue,
      workflowId: `ext-async-${run}`,
      args: [externalEndpoint, 'external', handlerWf],
    });
    const r = await async.result();
    expect(r.result).toBe('Hello, external!');
    expect(r.token).toBeTruthy();
    // The handler workflow's completion went over HTTP to this server's callback route, with a signed token.
    const described = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: handlerWf } });
    const cb = described.callbacks?.[0];
    expect(cb?.callback?.nexus?.url).toBe(`${base}/namespaces/default/nexus/callback`);
    expect(cb?.state).toBe(temporal.api.enums.v1.CallbackState.CALLBACK_STATE_SUCCEEDED);
  });

  it('a start whose callback is not http(s) is refused: temporal:// callbacks are the server\'s own', async () => {
    const res = await post(`${opUrl('runWorkflow')}?callback=${encodeURIComponent('temporal://system')}`, { name: 'x', workflowId: `sys-${run}` });
    expect(res.status).toBe(400);
  });

  it('an external endpoint: operation failures, non-retryable handler errors and cancellation reach the caller as over a worker target', async () => {
    const failed = await client.workflow.execute<typeof wf.callExpectingFailure>('callExpectingFailure', {
      taskQueue: callerQueue,
      workflowId: `ext-fail-${run}`,
      args: [externalEndpoint, 'failSync', { text: 'ext' }],
    });
    expect(failed.map((l) => l.message).join(' | ')).toContain('the operation failed: ext');
    const bad = await client.workflow.execute<typeof wf.callExpectingFailure>('callExpectingFailure', {
      taskQueue: callerQueue,
      workflowId: `ext-bad-${run}`,
      args: [externalEndpoint, 'badRequest', { text: 'ext' }],
    });
    expect(bad.map((l) => l.message).join(' | ')).toContain('bad request: ext');
    const handlerId = `ext-cancellable-${run}`;
    const canceled = await client.workflow.execute<typeof wf.callAndCancel>('callAndCancel', { taskQueue: callerQueue, workflowId: `ext-cancel-${run}`, args: [externalEndpoint, handlerId] });
    expect(canceled.token).toBeTruthy();
    expect(canceled.failure[1]).toMatchObject({ name: 'CancelledFailure' });
    const h = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: handlerId } });
    expect(h.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
  });

  it('an unreachable external endpoint: the attempt fails as UNAVAILABLE and is retried', async () => {
    const name = `unreachable-${run}`;
    await connection.operatorService.createNexusEndpoint({ spec: { name, target: { external: { url: 'http://127.0.0.1:1/nexus' } } } });
    const h = await client.workflow.start<typeof wf.callEcho>('callEcho', { taskQueue: callerQueue, workflowId: `unreachable-${run}`, args: [name, 'never'] });
    const pending = await eventually(async () => {
      const d = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: h.workflowId } });
      const op = d.pendingNexusOperations?.[0];
      return op && (op.attempt ?? 0) >= 2 ? op : undefined;
    }, 20_000, 'a retried attempt');
    expect(pending.lastAttemptFailure?.message).toContain('request to the Nexus endpoint failed');
    await h.terminate('test over');
  });

  it('the callback URL: forged, other-namespace and missing tokens are refused and change nothing; a valid one completes; a replay is 404', async () => {
    const callerId = `cb-caller-${run}`;
    const handlerWf = `cb-handler-${run}`;
    const caller = await client.workflow.start<typeof wf.callSignalled>('callSignalled', { taskQueue: callerQueue, workflowId: callerId, args: [externalEndpoint, 7, handlerWf] });
    // Wait until the operation started (the handler workflow runs), then read what the token names.
    const started = await eventually(async () => {
      const events = await rawHistory(client, callerId);
      return events.some((e) => e.eventType === EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED) ? events : undefined;
    }, 20_000, 'the operation started');
    const scheduled = started.find((e) => e.eventType === EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED)!;
    const signer = server.container.get(CallbackTokenSigner);
    const namespaceId = await server.container.get<NamespaceResolver>(TOKENS.Namespaces).idOf('default');
    const token = await signer.sign({
      namespaceId,
      archetype: Workflow.name,
      businessId: callerId,
      runId: caller.firstExecutionRunId,
      data: encodeCallbackData({ scheduledEventId: Number(scheduled.eventId), requestId: scheduled.nexusOperationScheduledEventAttributes!.requestId! }),
    });
    const complete = (path: string, t: string | undefined, value: string, extra: Record<string, string> = {}): Promise<Response> =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'nexus-operation-state': 'succeeded', ...(t ? { 'temporal-callback-token': t } : {}), ...extra },
        body: JSON.stringify(value),
      });
    const sig = token.slice(token.lastIndexOf('.') + 1);
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
    expect((await complete('/namespaces/default/nexus/callback', forged, 'forged')).status).toBe(401);
    expect((await complete('/namespaces/default/nexus/callback', token.slice(0, token.lastIndexOf('.')), 'unsigned')).status).toBe(401);
    expect((await complete('/namespaces/default/nexus/callback', undefined, 'none')).status).toBe(401);
    expect((await complete('/namespaces/other/nexus/callback', token, 'other namespace')).status).toBe(403);
    expect((await complete('/namespaces/missing/nexus/callback', token, 'missing namespace')).status).toBe(404);
    expect((await complete('/namespaces/default/nexus/callback', token, 'bad start time', { 'nexus-operation-start-time': 'yesterday-ish' })).status).toBe(400);
    expect((await complete('/namespaces/default/nexus/callback', token, 'bad state', { 'nexus-operation-state': 'done' })).status).toBe(400);
    const d = await caller.describe();
    expect(d.status.name).toBe('RUNNING');
    expect((await rawHistory(client, callerId)).some((e) => e.eventType === EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED)).toBe(false);

    const ok = await complete('/namespaces/default/nexus/callback', token, 'completed over http', {
      'nexus-operation-token': 'ignored-once-started',
      'nexus-operation-start-time': new Date().toUTCString(),
    });
    expect(ok.status).toBe(200);
    expect(await caller.result()).toBe('completed over http');
    const replay = await complete('/namespaces/default/nexus/callback', token, 'again');
    expect(replay.status).toBe(404);
    const completed = (await rawHistory(client, callerId)).filter((e) => e.eventType === EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED);
    expect(completed).toHaveLength(1);
    // The handler workflow is left waiting for its signal: end it.
    await client.workflow.getHandle(handlerWf).terminate('test over');
    const h = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: handlerWf } });
    expect(h.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });
});
