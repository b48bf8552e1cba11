import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TOKENS, type Database } from '@chasm/core';
import { eventually, restartableDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS, DEV_PACKAGES } from '../src/catalogue.js';

/**
 * DeleteNamespace through the official SDK and the operator API (ADR 0036): the name is free at
 * once; every row of the namespace (running and closed workflows, a standalone activity, a
 * standalone Nexus operation, task-queue backlogs nobody polls, per-queue config) is removed in
 * the background, then, after the delete delay, the namespace's own row; a restart in between
 * honours what is left of the delay. Synchronised by polling row counts, never by sleeping.
 */
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const INVALID_ARGUMENT = 3;
const ACTIVITY_QUEUE = 2; // TASK_QUEUE_TYPE_ACTIVITY

/** Rows of `namespaceId` in every table that has a namespace_id column, plus its own row in `namespaces`. */
async function rowsOf(database: Database, namespaceId: string): Promise<Record<string, number>> {
  const tables = (await database.db
    .selectFrom('information_schema.columns')
    .select('table_name')
    .where('column_name', '=', 'namespace_id')
    .where('table_schema', '=', 'public')
    .execute()) as { table_name: string }[];
  const out: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const row = (await database.db.selectFrom(table).select(database.db.fn.countAll().as('n')).where('namespace_id', '=', namespaceId).executeTakeFirstOrThrow()) as { n: number | string };
    out[table] = Number(row.n);
  }
  const ns = (await database.db.selectFrom('namespaces').select(database.db.fn.countAll().as('n')).where('id', '=', namespaceId).executeTakeFirstOrThrow()) as { n: number | string };
  out['namespaces'] = Number(ns.n);
  return out;
}

const sum = (rows: Record<string, number>, except: readonly string[] = []): number =>
  Object.entries(rows).reduce((a, [t, n]) => (except.includes(t) ? a : a + n), 0);

async function codeOf(call: () => Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call();
    return 'ok';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw e;
  }
}

async function describeId(connection: Connection, name: string): Promise<string> {
  return (await connection.workflowService.describeNamespace({ namespace: name })).namespaceInfo?.id ?? '';
}

/** Fills a namespace with everything that has rows: workflows (running, closed), backlogs, queue config, a standalone activity and Nexus operation. */
async function populate(connection: Connection, namespace: string, endpoint: string | undefined): Promise<void> {
  const client = new Client({ connection, namespace });
  for (let i = 0; i < 3; i++) await client.workflow.start('counterWorkflow', { taskQueue: 'nobody', workflowId: `wf-${i}`, args: [0] });
  await client.workflow.getHandle('wf-0').terminate('closed before the delete');
  await client.activity.start('neverPolled', { id: 'act-1', taskQueue: 'nobody-acts', scheduleToCloseTimeout: '1h' });
  await connection.workflowService.updateTaskQueueConfig({
    namespace,
    taskQueue: 'nobody-acts',
    taskQueueType: ACTIVITY_QUEUE,
    updateQueueRateLimit: { rateLimit: { requestsPerSecond: 5 }, reason: 'delete-namespace test' },
  });
  if (endpoint) {
    await connection.workflowService.startNexusOperationExecution({
      namespace,
      operationId: 'op-1',
      endpoint,
      service: 'svc',
      operation: 'op',
      requestId: randomUUID(),
      scheduleToCloseTimeout: { seconds: 3600 as never },
    });
  }
}

describe.each(restartableDatabaseConfigs('chasm_ns_delete'))('DeleteNamespace on $name', (store) => {
  it('frees the name at once and removes every row of the namespace in the background', { timeout: 120_000 }, async () => {
    const { config, drop } = await store.open();
    let server: TestServer | undefined;
    const connection: { c?: Connection } = {};
    try {
      server = await startTestServer({ packages: [...DEV_PACKAGES], catalogue: BUILTIN_PLUGINS, database: config, namespaceDeletion: { settleMs: 300 } });
      const database = server.container.get<Database>(TOKENS.Database);
      const c = (connection.c = await Connection.connect({ address: server.address }));
      const name = `doomed-${randomUUID().slice(0, 8)}`;
      await c.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86_400 as never } });
      const id = await describeId(c, name);
      // An endpoint whose operations run in `default`, called from the doomed namespace.
      const outbound = `out-${randomUUID().slice(0, 8)}`;
      await c.operatorService.createNexusEndpoint({ spec: { name: outbound, target: { worker: { namespace: 'default', taskQueue: 'nobody-nexus' } } } });
      await populate(c, name, outbound);
      const before = await eventually(async () => {
        const r = await rowsOf(database, id);
        return r['visibility'] === 5 && r;
      }, 60_000, 'visibility of the five executions');
      expect(before['executions']).toBe(5); // 3 workflows, 1 activity, 1 Nexus operation
      expect(before['task_queue_tasks']).toBeGreaterThanOrEqual(3); // 2 workflow tasks + 1 activity task
      expect(before['task_queues']).toBeGreaterThanOrEqual(2);

      // As in Temporal: a namespace an endpoint targets is not deleted (unless allowed).
      const inbound = await c.operatorService.createNexusEndpoint({ spec: { name: `in-${randomUUID().slice(0, 8)}`, target: { worker: { namespace: name, taskQueue: 'handlers' } } } });
      expect(await codeOf(() => c.operatorService.deleteNamespace({ namespace: name }))).toBe(FAILED_PRECONDITION);
      expect((await c.workflowService.describeNamespace({ namespace: name })).namespaceInfo?.state).toBe(1); // still REGISTERED
      await c.operatorService.deleteNexusEndpoint({ id: inbound.endpoint!.id!, version: inbound.endpoint!.version! });
      expect(await codeOf(() => c.operatorService.deleteNamespace({ namespace: name, namespaceId: id }))).toBe(INVALID_ARGUMENT);
      expect(await codeOf(() => c.operatorService.deleteNamespace({ namespace: name, namespaceDeleteDelay: { seconds: -1 as never } }))).toBe(INVALID_ARGUMENT);

      const deleted = await c.operatorService.deleteNamespace({ namespace: name });
      expect(deleted.deletedNamespace).toBe(`${name}-deleted-${id.slice(0, 5)}`);
      // The name is free at once: a new namespace of that name, with its own id and data.
      await c.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86_400 as never } });
      const reborn = await describeId(c, name);
      expect(reborn).not.toBe(id);
      const again = new Client({ connection: c, namespace: name });
      await again.workflow.start('counterWorkflow', { taskQueue: 'nobody', workflowId: 'wf-0', args: [0] });

      const after = await eventually(async () => {
        const r = await rowsOf(database, id);
        return sum(r) === 0 && r;
      }, 60_000, 'no row of the deleted namespace in any table');
      expect(Object.keys(after)).toEqual(expect.arrayContaining(['executions', 'chasm_nodes', 'chasm_tasks', 'visibility', 'current_executions', 'task_queues', 'task_queue_tasks', 'namespaces']));
      expect(await codeOf(() => c.workflowService.describeNamespace({ id }))).toBe(NOT_FOUND);
      // The namespace that took the name is left alone.
      expect((await again.workflow.getHandle('wf-0').describe()).status.name).toBe('RUNNING');
      expect((await rowsOf(database, reborn))['task_queue_tasks']).toBe(1);
    } finally {
      await connection.c?.close();
      await server?.stop();
      await drop();
    }
  });

  it('when allowed, deletes an endpoint target: the endpoint stays and its requests fail NOT_FOUND', { timeout: 120_000 }, async () => {
    const { config, drop } = await store.open();
    let server: TestServer | undefined;
    let c: Connection | undefined;
    try {
      server = await startTestServer({
        packages: [...DEV_PACKAGES],
        catalogue: BUILTIN_PLUGINS,
        database: config,
        settings: { nexus: { allowDeleteNamespaceIfEndpointTarget: true } },
        namespaceDeletion: { settleMs: 300 },
      });
      const database = server.container.get<Database>(TOKENS.Database);
      c = await Connection.connect({ address: server.address });
      const name = `target-${randomUUID().slice(0, 8)}`;
      await c.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86_400 as never } });
      const id = await describeId(c, name);
      const endpoint = `to-${randomUUID().slice(0, 8)}`;
      const created = await c.operatorService.createNexusEndpoint({ spec: { name: endpoint, target: { worker: { namespace: name, taskQueue: 'handlers' } } } });
      await c.operatorService.deleteNamespace({ namespace: name });
      await eventually(async () => sum(await rowsOf(database, id)) === 0, 60_000, 'the deleted namespace gone');
      // Endpoints are cluster-wide: it stays, and a call through it fails NOT_FOUND (not retried)
      // without touching matching under the old namespace id.
      expect((await c.operatorService.getNexusEndpoint({ id: created.endpoint!.id! })).endpoint?.spec?.name).toBe(endpoint);
      const operationId = `op-${randomUUID().slice(0, 8)}`;
      await c.workflowService.startNexusOperationExecution({ namespace: 'default', operationId, endpoint, service: 'svc', operation: 'op', requestId: randomUUID() });
      const failed = await eventually(async () => {
        const described = await c!.workflowService.describeNexusOperationExecution({ namespace: 'default', operationId });
        return described.info?.status === 3 && described; // FAILED
      }, 60_000, 'the operation failed');
      expect(JSON.stringify(failed)).toMatch(/not found/i);
      expect(sum(await rowsOf(database, id))).toBe(0);
    } finally {
      await c?.close();
      await server?.stop();
      await drop();
    }
  });

  it('keeps the namespace row for the delete delay after the data is gone, across a restart', { timeout: 120_000 }, async () => {
    const { config, drop } = await store.open();
    const DELAY_MS = 5_000;
    const options = { packages: [...DEV_PACKAGES], catalogue: BUILTIN_PLUGINS, database: config, namespaceDeletion: { delayMs: DELAY_MS, settleMs: 300 } };
    let server: TestServer | undefined;
    let c: Connection | undefined;
    try {
      server = await startTestServer(options);
      let database = server.container.get<Database>(TOKENS.Database);
      c = await Connection.connect({ address: server.address });
      const name = `delayed-${randomUUID().slice(0, 8)}`;
      await c.workflowService.registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: { seconds: 86_400 as never } });
      const id = await describeId(c, name);
      await populate(c, name, undefined);
      await eventually(async () => (await rowsOf(database, id))['visibility'] === 4, 60_000, 'visibility written');
      await c.operatorService.deleteNamespace({ namespace: name });

      // Temporal's order: executions and backlogs go first, the namespace row waits the delay.
      await eventually(async () => sum(await rowsOf(database, id), ['namespaces']) === 0, 60_000, 'the namespace data is gone');
      const purgedAt = await eventually(async () => {
        const row = (await database.db.selectFrom('namespaces').select('purged_at').where('id', '=', id).executeTakeFirst()) as { purged_at: Date | string | null } | undefined;
        return row?.purged_at ? new Date(row.purged_at).getTime() : undefined;
      }, 60_000, 'purged_at recorded');
      const described = await c.workflowService.describeNamespace({ id });
      expect(described.namespaceInfo?.state).toBe(3); // DELETED, still there during the delay
      expect(Date.now()).toBeLessThan(purgedAt + DELAY_MS);

      // Restart while the delay runs: the new server removes the row when what is left of it passes.
      await c.close();
      c = undefined;
      await server.stop();
      server = await startTestServer(options);
      database = server.container.get<Database>(TOKENS.Database);
      c = await Connection.connect({ address: server.address });
      const goneAt = await eventually(async () => (await rowsOf(database, id))['namespaces'] === 0 && Date.now(), 60_000, 'the namespace row removed after the delay');
      expect(goneAt).toBeGreaterThanOrEqual(purgedAt + DELAY_MS);
      expect(sum(await rowsOf(database, id))).toBe(0);
      expect(await codeOf(() => c!.workflowService.describeNamespace({ id }))).toBe(NOT_FOUND);
    } finally {
      await c?.close();
      await server?.stop();
      await drop();
    }
  });
});
