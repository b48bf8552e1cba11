import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../src/catalogue.js';

/**
 * Temporal's HTTP API (ADR 0027), driven with a plain HTTP client (fetch) against a real server
 * and an official SDK worker, on each test database. Every error case is checked against what
 * the gRPC API answers for the same request.
 */
const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe.each(testDatabaseConfigs('httpapi'))('HTTP API ($name)', (tdb) => {
  let server: TestServer;
  let drop: () => Promise<void>;
  let base: string;
  let grpc: Connection;
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `http-${randomUUID()}`;

  const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The gRPC status code a call fails with (the SDK's client raises the grpc-js error). */
  const grpcCode = async (call: Promise<unknown>): Promise<number> => {
    try {
      await call;
    } catch (e) {
      return (e as { code: number }).code;
    }
    throw new Error('the gRPC call succeeded');
  };
  const startBody = (args: unknown[]): Record<string, unknown> => ({
    workflowType: { name: 'counterWorkflow' },
    taskQueue: { name: taskQueue },
    input: args,
    requestId: randomUUID(),
  });
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (const deadline = Date.now() + 30_000; ; ) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    const db = await tdb.open();
    drop = db.drop;
    let bundle: WorkflowBundleWithSourceMap;
    [server, bundle] = await Promise.all([
      startTestServer({ packages: ['matching', 'workflow'], catalogue: BUILTIN_PLUGINS, database: db.config, httpPort: 0 }),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
    ]);
    base = `http://127.0.0.1:${server.httpPort}`;
    grpc = await Connection.connect({ address: server.address });
    native = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await native?.close();
    await grpc?.close();
    await server?.stop();
    await drop?.();
  });

  it('starts, describes, signals, queries, lists and terminates a workflow', { timeout: 90_000 }, async () => {
    const id = `wf-${randomUUID()}`;
    const started = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, startBody([5]));
    expect(started.status).toBe(200);
    expect(started.body['runId']).toMatch(/^[0-9a-f-]{36}$/);
    const runId = started.body['runId'] as string;

    const described = await api('GET', `/api/v1/namespaces/default/workflows/${id}`);
    expect(described.status).toBe(200);
    const info = described.body['workflowExecutionInfo'] as Record<string, unknown>;
    expect(info).toMatchObject({ execution: { workflowId: id, runId }, type: { name: 'counterWorkflow' }, status: 'WORKFLOW_EXECUTION_STATUS_RUNNING', taskQueue });
    // proto3 JSON: Timestamps as RFC 3339 strings, int64 as strings.
    expect(info['startTime']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(typeof info['historyLength']).toBe('string');
    // The same answer as gRPC.
    const viaGrpc = await grpc.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: id } });
    expect(viaGrpc.workflowExecutionInfo?.execution?.runId).toBe(runId);

    const signalled = await api('POST', `/api/v1/namespaces/default/workflows/${id}/signal/add`, { input: [3], requestId: randomUUID() });
    expect(signalled).toEqual({ status: 200, body: {} });

    // The query runs on the SDK worker; the signal reaches the workflow in its next task.
    const count = await waitFor('query sees the signal', async () => {
      const q = await api('POST', `/api/v1/namespaces/default/workflows/${id}/query/count`, {});
      expect(q.status).toBe(200);
      const result = q.body['queryResult'] as unknown[];
      return result[0] === 8 ? result : undefined;
    });
    expect(count).toEqual([8]);
    // Without the shorthand, the payload in its proto3 JSON form.
    const long = await api('POST', `/api/v1/namespaces/default/workflows/${id}/query/count?noPayloadShorthand`, {});
    expect(long.body['queryResult']).toEqual({ payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('8') }] });

    const listed = await waitFor('list finds the workflow', async () => {
      const l = await api('GET', `/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId = '${id}'`)}`);
      expect(l.status).toBe(200);
      const executions = (l.body['executions'] ?? []) as Record<string, unknown>[];
      return executions.length > 0 ? executions : undefined;
    });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ execution: { workflowId: id, runId }, status: 'WORKFLOW_EXECUTION_STATUS_RUNNING' });

    const terminated = await api('POST', `/api/v1/namespaces/default/workflows/${id}/terminate`, { reason: 'over HTTP' });
    expect(terminated).toEqual({ status: 200, body: {} });
    const after = await api('GET', `/api/v1/namespaces/default/workflows/${id}?pretty`);
    expect(after.body).toMatchObject({ workflowExecutionInfo: { status: 'WORKFLOW_EXECUTION_STATUS_TERMINATED' } });
    // The start's input, in the history, in the shorthand.
    const history = await api('GET', `/api/v1/namespaces/default/workflows/${id}/history`);
    const events = ((history.body['history'] as Record<string, unknown>)['events'] ?? []) as Record<string, Record<string, unknown>>[];
    expect(events[0]?.['workflowExecutionStartedEventAttributes']?.['input']).toEqual([5]);
  });

  it('409 for a workflow already started, as gRPC ALREADY_EXISTS, with its typed detail', async () => {
    const id = `dup-${randomUUID()}`;
    const first = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, startBody([1]));
    expect(first.status).toBe(200);
    const again = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, startBody([1]));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      code: 6,
      details: [{ '@type': 'type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure', runId: first.body['runId'] }],
    });
    const code = await grpcCode(
      grpc.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId: id,
        workflowType: { name: 'counterWorkflow' },
        taskQueue: { name: taskQueue },
        requestId: randomUUID(),
      }),
    );
    expect(code).toBe(again.body['code']);
    await api('POST', `/api/v1/namespaces/default/workflows/${id}/terminate`, {});
  });

  it('404 for an unknown workflow, as gRPC NOT_FOUND', async () => {
    const answer = await api('GET', '/api/v1/namespaces/default/workflows/no-such-workflow');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 5, message: expect.any(String) as string });
    const code = await grpcCode(grpc.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'no-such-workflow' } }));
    expect(code).toBe(5);
    // An unknown namespace: its typed detail, as the SDKs read it.
    const ns = await api('GET', '/api/v1/namespaces/nowhere/workflows/x');
    expect(ns.status).toBe(404);
    expect(ns.body['details']).toEqual([{ '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure', namespace: 'nowhere' }]);
  });

  it('400 for bad arguments: JSON that does not map (naming the field), and what the handler refuses, as gRPC INVALID_ARGUMENT', async () => {
    const wrongType = await api('POST', `/api/v1/namespaces/default/workflows/bad-${randomUUID()}`, { ...startBody([]), workflowType: { name: 5 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ code: 3, message: expect.stringContaining('workflowType.name: expected a string') as string });

    const unknownField = await api('POST', `/api/v1/namespaces/default/workflows/bad-${randomUUID()}`, { ...startBody([]), taskQeue: { name: 'x' } });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body['message']).toContain('taskQeue: unknown field');

    const notJson = await fetch(`${base}/api/v1/namespaces/default/workflows/bad-x`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 3 });

    // Well-formed, but no task queue: the handler's own check, the same status over gRPC.
    const id = `bad-${randomUUID()}`;
    const noQueue = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, { workflowType: { name: 'counterWorkflow' } });
    expect(noQueue.status).toBe(400);
    const code = await grpcCode(grpc.workflowService.startWorkflowExecution({ namespace: 'default', workflowId: id, workflowType: { name: 'counterWorkflow' } }));
    expect(code).toBe(3);
    expect(noQueue.body['code']).toBe(3);
  });

  it('400 with FAILED_PRECONDITION for a start in a deprecated namespace, as gRPC', async () => {
    const ns = `old-${randomUUID().slice(0, 8)}`;
    const registered = await api('POST', '/api/v1/namespaces', { namespace: ns, workflowExecutionRetentionPeriod: '86400s' });
    expect(registered.status).toBe(200);
    // DeprecateNamespace has no HTTP binding (as in Temporal): over gRPC.
    await grpc.workflowService.deprecateNamespace({ namespace: ns });
    const answer = await api('POST', `/api/v1/namespaces/${ns}/workflows/w`, startBody([]));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 9, message: expect.stringContaining(ns) as string });
    const code = await grpcCode(
      grpc.workflowService.startWorkflowExecution({ namespace: ns, workflowId: 'w', workflowType: { name: 'counterWorkflow' }, taskQueue: { name: taskQueue }, requestId: randomUUID() }),
    );
    expect(code).toBe(9);
  });

  it('501 for a method no installed package serves, as gRPC UNIMPLEMENTED; 404 for a path no binding has', async () => {
    // Schedules are not loaded in this server.
    const answer = await api('GET', '/api/v1/namespaces/default/schedules');
    expect(answer.status).toBe(501);
    expect(answer.body).toMatchObject({ code: 12, message: expect.stringContaining('ListSchedules') as string });
    const code = await grpcCode(grpc.workflowService.listSchedules({ namespace: 'default' }));
    expect(code).toBe(12);
    expect((await fetch(`${base}/api/v1/no/such/route`)).status).toBe(404);
  });

  it('takes enum values by name, number or short name, and payloads in the standard form', async () => {
    const id = `enum-${randomUUID()}`;
    const standard = { metadata: { encoding: b64('json/plain') }, data: b64('2') };
    const first = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, { ...startBody([]), input: { payloads: [standard] }, workflowIdReusePolicy: 'AllowDuplicate' });
    expect(first.status).toBe(200);
    await api('POST', `/api/v1/namespaces/default/workflows/${id}/terminate`, {});
    // REJECT_DUPLICATE as a number: a closed workflow's id may not be reused.
    const rejected = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, { ...startBody([]), workflowIdReusePolicy: 3 });
    expect(rejected.status).toBe(409);
    const bogus = await api('POST', `/api/v1/namespaces/default/workflows/${id}`, { ...startBody([]), workflowIdReusePolicy: 'SOMETIMES' });
    expect(bogus.status).toBe(400);
    expect(bogus.body['message']).toContain('workflowIdReusePolicy: unknown value "SOMETIMES"');
    const history = await api('GET', `/api/v1/namespaces/default/workflows/${id}/history?execution.runId=${first.body['runId'] as string}`);
    const events = ((history.body['history'] as Record<string, unknown>)['events'] ?? []) as Record<string, Record<string, unknown>>[];
    expect(events[0]?.['workflowExecutionStartedEventAttributes']?.['input']).toEqual([2]);
  });
});
