import { randomUUID } from 'node:crypto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Client, Connection } from '@temporalio/client';
import { google } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NS_STATE = { REGISTERED: 1, DEPRECATED: 2 } as const;
const STATUS = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, FAILED_PRECONDITION: 9 } as const;

async function failure(p: Promise<unknown>): Promise<{ code: number | undefined; message: string; details: unknown[] } | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    // The SDK client wraps the gRPC error (as `cause`) in a ServiceError.
    const grpc = (e as { cause?: unknown }).cause ?? e;
    return { code: (grpc as { code?: number }).code, message: (grpc as Error).message, details: detailTypes(grpc) };
  }
}

/** The error details in grpc-status-details-bin, as JSON (Any unpacked: `@type` plus the fields). */
function detailTypes(err: unknown): unknown[] {
  const [bin] = (err as { metadata?: { get(k: string): unknown[] } }).metadata?.get('grpc-status-details-bin') ?? [];
  if (!(bin instanceof Uint8Array)) return [];
  return google.rpc.Status.decode(bin).details.map((d) => JSON.parse(JSON.stringify(d)) as unknown);
}

describe.each(testDatabaseConfigs('chasm_deprecate_ns_e2e'))('DeprecateNamespace on $name', (store) => {
  let server: TestServer;
  let connection: Connection;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await store.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config });
    // No retry interceptor: statuses are asserted as they are.
    connection = await Connection.connect({ address: server.address, interceptors: [] });
  }, 180_000);
  afterAll(async () => {
    await connection?.close();
    await server?.[Symbol.asyncDispose]();
    await drop?.();
  });
  const svc = () => connection.workflowService;

  it('marks the namespace deprecated, refuses new starts, and keeps existing workflows reachable', { timeout: 60_000 }, async () => {
    const namespace = `dep-${randomUUID().slice(0, 8)}`;
    await svc().registerNamespace({ namespace });
    const client = new Client({ connection, namespace });
    const taskQueue = 'nobody-polls';
    // Started before deprecation; with no worker it stays running.
    const existing = await client.workflow.start('anything', { workflowId: `wf-${randomUUID()}`, taskQueue });
    // Warms this node's namespace cache, so the check below must see the update, not a stale entry.
    await client.workflow.getHandle(existing.workflowId).describe();

    await svc().deprecateNamespace({ namespace });

    const d = await svc().describeNamespace({ namespace });
    expect(d.namespaceInfo?.state).toBe(NS_STATE.DEPRECATED);
    const listed = await svc().listNamespaces({ pageSize: 1000 });
    expect(listed.namespaces.find((n) => n.namespaceInfo?.name === namespace)?.namespaceInfo?.state).toBe(NS_STATE.DEPRECATED);

    // New executions are refused: SDK start and signal-with-start.
    const started = await failure(client.workflow.start('anything', { workflowId: `new-${randomUUID()}`, taskQueue }));
    expect(started).toMatchObject({ code: STATUS.FAILED_PRECONDITION, message: expect.stringContaining(namespace) });
    expect(started?.details).toEqual([
      {
        '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceInvalidStateFailure',
        namespace,
        state: 'NAMESPACE_STATE_DEPRECATED',
        allowedStates: ['NAMESPACE_STATE_REGISTERED'],
      },
    ]);
    const signalled = await failure(
      client.workflow.signalWithStart('anything', { workflowId: `sws-${randomUUID()}`, taskQueue, signal: 'go', signalArgs: [] }),
    );
    expect(signalled).toMatchObject({ code: STATUS.FAILED_PRECONDITION, message: expect.stringMatching(/DEPRECATED/) });

    // The existing workflow can still be signalled, described and terminated.
    const handle = client.workflow.getHandle(existing.workflowId);
    await handle.signal('poke');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('done');
    expect((await handle.describe()).status.name).toBe('TERMINATED');

    // Deprecating again is harmless; the default namespace is untouched.
    await svc().deprecateNamespace({ namespace });
    expect((await svc().describeNamespace({ namespace: 'default' })).namespaceInfo?.state).toBe(NS_STATE.REGISTERED);
  });

  it('answers NOT_FOUND for an unknown namespace and INVALID_ARGUMENT for a missing name', async () => {
    expect(await failure(svc().deprecateNamespace({ namespace: `missing-${randomUUID().slice(0, 8)}` }))).toMatchObject({ code: STATUS.NOT_FOUND });
    expect(await failure(svc().deprecateNamespace({ namespace: '' }))).toMatchObject({ code: STATUS.INVALID_ARGUMENT, message: expect.stringMatching(/namespace/) });
  });
});
