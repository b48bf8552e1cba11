import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { costDrift, measureCost, type Cost } from '@chasm/core/testing';
import { startTestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, e2eDialects, quietRuntime } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { workflowUpdatePlugin } from '../src/index.js';

/**
 * The regression guard of issue 16 for Workflow Update: what one update (executeUpdate, waiting
 * for its result) on an idle workflow costs the server, counted exactly, so that a change adding
 * a commit, a round trip or an RPC fails here. Updates run one at a time against a worker with
 * the run in its sticky cache; the first ones are not counted (sticky queue set-up).
 */
const UPDATES = 5;

const EXPECTED: Cost = {
  // One commit: the completion (WorkflowTaskScheduled/Started/Completed, UpdateAccepted,
  // UpdateCompleted). The admission and the task's start are speculative, in memory only (ADR
  // 0034); before it: 3 commits (admission, start, completion) and 4 round trips.
  engineCommits: 1,
  // That commit, one `chasm_write` call: one round trip, one transaction. No task rows to delete
  // (the speculative task's timer was in memory) and no reads: the run is cached.
  dbRoundTrips: 1,
  dbTransactions: 1,
  dbWriteTransactions: 1,
  rpcs: {
    UpdateWorkflowExecution: 1,
    // The workflow task that carries the update (sticky), and the completion answering it.
    PollWorkflowTaskQueue: 1,
    RespondWorkflowTaskCompleted: 1,
  },
};

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

describe.each(e2eDialects())('what an update on an idle workflow costs the server ($name)', (dialect) => {
  it('commits, round trips and RPCs per update are exactly those of today (one commit: speculative workflow task)', async () => {
    const db = await dialect.open();
    const startedFrom = Date.now();
    const server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, workflowUpdatePlugin], database: db.config, metricsPort: 0 });
    const started = { from: startedFrom, to: Date.now() };
    const port = server.metricsPort!;
    const native = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const taskQueue = `cost-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
    try {
      const cost = await worker.runUntil(async () => {
        const handle = await client.workflow.start(wf.counter, { taskQueue, workflowId: `counter-${randomUUID()}` });
        for (let i = 0; i < 2; i++) await handle.executeUpdate(wf.addUpdate, { args: [1] });
        let total = 2;
        return measureCost({
          metricsPort: port,
          started,
          expected: EXPECTED,
          units: UPDATES,
          work: async () => {
            for (let i = 0; i < UPDATES; i++) expect(await handle.executeUpdate(wf.addUpdate, { args: [1] })).toBe(++total);
          },
        });
      });
      expect(costDrift(cost, EXPECTED)).toEqual([]);
    } finally {
      await connection.close();
      await native.close();
      await server.stop();
      await db.drop();
    }
  }, 180_000);
});
