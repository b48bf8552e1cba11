import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TOKENS, type Database } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import { NOT_FOUND, eventually, registerWithRetention, rowCounts, statusOf, totalRows } from './retention-helpers.js';
import type * as wf from './workflows/index.js';

/**
 * Retention through the official SDK: in a namespace that keeps closed executions a few
 * seconds, completed workflows (and every run of a continue-as-new chain) answer NOT_FOUND
 * once, and only once, their retention has passed; visibility forgets them and no row of
 * them is left in any table. DeleteNamespace removes a namespace's executions in the background.
 */
const RETENTION_S = 4;

describe.each(testDatabaseConfigs('chasm_retention'))('retention on $name', (store) => {
  let server: TestServer;
  let bundle: WorkflowBundleWithSourceMap;
  let drop: () => Promise<void>;
  let database: Database;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    quietRuntime();
    const opened = await store.open();
    drop = opened.drop;
    [server, bundle] = await Promise.all([
      startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: opened.config }),
      bundleTestWorkflows(),
    ]);
    database = server.container.get<Database>(TOKENS.Database);
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await drop?.();
  });

  it('deletes closed workflows and each run of a chain once retention has passed', { timeout: 120_000 }, async () => {
    const namespace = `short-${randomUUID().slice(0, 8)}`;
    const namespaceId = await registerWithRetention(connection, namespace, RETENTION_S);
    client = new Client({ connection, namespace });
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: workerConnection, namespace, taskQueue: 'ret', workflowBundle: bundle, activities });
    const ids = Array.from({ length: 5 }, (_, i) => `hello-${i}`);
    const runs: { workflowId: string; runId: string }[] = [];
    await worker.runUntil(async () => {
      const hellos = await Promise.all(
        ids.map((workflowId) => client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: 'ret', workflowId, args: ['World'] })),
      );
      const chain = await client.workflow.start<typeof wf.chain>('chain', { taskQueue: 'ret', workflowId: 'chain', args: [1] });
      for (const h of hellos) expect(await h.result()).toBe('Hello, World!');
      expect(await chain.result()).toBe(30);
      for (const h of hellos) runs.push({ workflowId: h.workflowId, runId: h.firstExecutionRunId });
      // The chain's three runs, oldest first: each is deleted on its own.
      const chainRuns = await client.workflow.list({ query: `WorkflowId = 'chain'` });
      for await (const r of chainRuns) runs.push({ workflowId: 'chain', runId: r.runId });
    });
    await workerConnection.close();
    expect(runs).toHaveLength(8);

    // Every run exists now (closed less than the retention ago), with its close time.
    const closeTimes = new Map<string, number>();
    for (const r of runs) {
      const d = await client.workflow.getHandle(r.workflowId, r.runId).describe();
      expect(d.closeTime).toBeDefined();
      closeTimes.set(r.runId, d.closeTime!.getTime());
    }
    expect(totalRows(await rowCounts(database, namespaceId))).toBeGreaterThan(0);

    // Each run answers NOT_FOUND once its retention has passed, and not before.
    await Promise.all(
      runs.map(async (r) => {
        const goneAt = await eventually(
          async () => (await statusOf(() => client.workflow.getHandle(r.workflowId, r.runId).describe())) === NOT_FOUND && Date.now(),
          30_000,
          `${r.workflowId}/${r.runId} deleted`,
        );
        expect(goneAt).toBeGreaterThanOrEqual(closeTimes.get(r.runId)! + RETENTION_S * 1000);
        expect(await statusOf(() => client.workflow.getHandle(r.workflowId, r.runId).fetchHistory())).toBe(NOT_FOUND);
      }),
    );
    await eventually(async () => (await client.workflow.count()).count === 0, 30_000, 'visibility count 0');
    const listed = [];
    for await (const r of client.workflow.list()) listed.push(r);
    expect(listed).toEqual([]);
    expect(await rowCounts(database, namespaceId)).toEqual({ executions: 0, current_executions: 0, chasm_nodes: 0, chasm_tasks: 0, visibility: 0 });

    // The ids are free: a new run with the same id starts as if none had existed.
    await client.workflow.start<typeof wf.forever>('forever', { taskQueue: 'nobody', workflowId: 'hello-0', workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    await client.workflow.getHandle('hello-0').terminate('done');
  });

  it('DeleteNamespace removes the namespace executions in the background, running ones too', { timeout: 60_000 }, async () => {
    const namespace = `doomed-${randomUUID().slice(0, 8)}`;
    const namespaceId = await registerWithRetention(connection, namespace, 86_400);
    const doomed = new Client({ connection, namespace });
    for (let i = 0; i < 5; i++) await doomed.workflow.start<typeof wf.forever>('forever', { taskQueue: 'nobody', workflowId: `run-${i}` });
    await doomed.workflow.getHandle('run-0').terminate('closed before the delete');
    // A neighbour namespace is left alone.
    const keptNs = `kept-${randomUUID().slice(0, 8)}`;
    const keptId = await registerWithRetention(connection, keptNs, 86_400);
    const kept = new Client({ connection, namespace: keptNs });
    await kept.workflow.start<typeof wf.forever>('forever', { taskQueue: 'nobody', workflowId: 'neighbour' });
    await eventually(async () => (await rowCounts(database, namespaceId)).visibility === 5 && (await rowCounts(database, keptId)).visibility === 1, 30_000, 'visibility written');

    await connection.operatorService.deleteNamespace({ namespace });
    const after = await eventually(async () => {
      const c = await rowCounts(database, namespaceId);
      return totalRows(c) === 0 && c;
    }, 30_000, 'the deleted namespace has no rows left');
    expect(after).toEqual({ executions: 0, current_executions: 0, chasm_nodes: 0, chasm_tasks: 0, visibility: 0 });
    expect((await rowCounts(database, keptId)).executions).toBe(1);
    expect((await kept.workflow.getHandle('neighbour').describe()).status.name).toBe('RUNNING');
    await kept.workflow.getHandle('neighbour').terminate('done');
  });
});
