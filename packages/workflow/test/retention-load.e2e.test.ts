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
import { eventually, registerWithRetention, rowCounts, totalRows, type RowCounts } from './retention-helpers.js';
import type * as wf from './workflows/index.js';

/**
 * Under a steady load with a short retention the tables stop growing: a few callers run
 * workflows back to back (a closed loop, so the load follows what the machine manages) through
 * an SDK worker for a while, and the namespace's rows are counted every second. Without
 * retention the executions would pile up (all of them are kept a day by default); with it, no
 * more than the last few seconds' worth is ever stored, and once the load stops every row goes.
 */
const RETENTION_S = 1;
const CALLERS = 5;
const LOAD_S = 12;

describe.each(testDatabaseConfigs('chasm_retention_load'))('row counts under steady load on $name', (store) => {
  let server: TestServer;
  let bundle: WorkflowBundleWithSourceMap;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    quietRuntime();
    const opened = await store.open();
    drop = opened.drop;
    [server, bundle] = await Promise.all([
      startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: opened.config }),
      bundleTestWorkflows(),
    ]);
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  it('stores no more than the last seconds of closed workflows, and nothing once the load stops', { timeout: 120_000 }, async () => {
    const database = server.container.get<Database>(TOKENS.Database);
    const connection = await Connection.connect({ address: server.address });
    const namespace = `load-${randomUUID().slice(0, 8)}`;
    const namespaceId = await registerWithRetention(connection, namespace, RETENTION_S);
    const client = new Client({ connection, namespace });
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: workerConnection, namespace, taskQueue: 'load', workflowBundle: bundle, activities });

    const samples: RowCounts[] = [];
    let completed = 0;
    await worker.runUntil(async () => {
      const end = Date.now() + LOAD_S * 1000;
      const caller = async (c: number): Promise<void> => {
        for (let i = 0; Date.now() < end; i++) {
          await client.workflow.execute<typeof wf.helloActivity>('helloActivity', { taskQueue: 'load', workflowId: `load-${c}-${i}`, args: ['x'] });
          completed++;
        }
      };
      const sampler = async (): Promise<void> => {
        while (Date.now() < end) {
          await new Promise((r) => setTimeout(r, 1000));
          samples.push(await rowCounts(database, namespaceId));
        }
      };
      await Promise.all([sampler(), ...Array.from({ length: CALLERS }, (_, c) => caller(c))]);
    });
    await workerConnection.close();

    // Kept at most: what closed in the last seconds (retention + the timers' lag), far fewer than
    // all that closed (without retention the last sample would hold every one).
    expect(samples.length).toBeGreaterThanOrEqual(4);
    const maxKept = Math.max(...samples.map((c) => c.executions));
    expect(maxKept).toBeLessThan(completed / 2);
    // The second half of the run stores no more than the first half did, give or take.
    const half = Math.floor(samples.length / 2);
    const peak = (from: number, to: number): number => Math.max(...samples.slice(from, to).map(totalRows));
    expect(peak(half, samples.length)).toBeLessThanOrEqual(peak(0, half) * 1.5 + 100);

    const after = await eventually(async () => {
      const c = await rowCounts(database, namespaceId);
      return totalRows(c) === 0 && c;
    }, 30_000, 'no rows left after the load');
    expect(after.executions).toBe(0);
    await connection.close();
  });
});
