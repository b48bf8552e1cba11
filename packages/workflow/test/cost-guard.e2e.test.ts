import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { costDrift, measureCost, testDatabaseConfigs, type Cost } from '@chasm/core/testing';
import { startTestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { workflowPlugin } from '../src/index.js';

/**
 * The regression guard of issue 16: what one hello-activity workflow costs the server, counted
 * exactly (no timing), so that a change adding one commit, round trip or RPC fails here. If a
 * change lowers a number on purpose, lower it here too and say so in the commit.
 *
 * Workflows run one at a time with a warm worker, so the counts are the same on every run: the
 * execution cache answers every read, so each round trip is one `chasm_write` (its own
 * transaction), and the worker always has a poll waiting on its normal and its sticky queue when
 * a workflow task is scheduled, so each is started in the commit that schedules it (ADR 0040).
 * Group commit can still join writes queued at the same moment, so the database counts are an
 * upper bound (`costDrift`); commits and RPCs are exact. Poll counts are deterministic because each poll
 * that carries a task is replaced by exactly one new poll; polls that end empty (their wait ran
 * out: time, not work) and the worker's periodic heartbeat are left out by `costPer`. The
 * activity is started eagerly in the first completion, so no activity poll gets a task. The
 * first workflows are not counted (queue creation, sticky queue set-up).
 */
const WORKFLOWS = 5;

const EXPECTED: Cost = {
  // start (with the first task started for the waiting poller), first completion (+ eager
  // activity), activity completed (with the second task started for the waiting sticky poller),
  // second completion (workflow completed). Was 6 before ADR 0040: each workflow task was
  // committed as scheduled, then again as started when a poller took it.
  engineCommits: 4,
  // The four commits, each one `chasm_write` call, i.e. one round trip and one transaction. No
  // reads, and no deletion of finished tasks any more: a task started in the commit that
  // schedules it never writes its dispatch row. Was 11 before ADR 0032 (the two visibility
  // records and the deletion of their tasks now ride in the commits that changed them), 8 before
  // ADR 0039 (the deletions of the two finished dispatch-task rows, then riding in the shard's
  // next commit) and 6 before ADR 0040 (two commits, and those two rows are no longer written).
  dbRoundTrips: 4,
  dbTransactions: 4,
  dbWriteTransactions: 4,
  rpcs: {
    StartWorkflowExecution: 1,
    PollWorkflowTaskQueue: 2,
    RespondWorkflowTaskCompleted: 2,
    RespondActivityTaskCompleted: 1,
    // The client's wait for the result.
    GetWorkflowExecutionHistory: 1,
  },
};

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

describe.each(testDatabaseConfigs('chasm_cost_guard'))('what a hello-activity workflow costs the server ($name)', (dialect) => {
  it('commits, round trips and RPCs per workflow are exactly those of today', async () => {
    const db = await dialect.open();
    const startedFrom = Date.now();
    const server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config, metricsPort: 0 });
    const started = { from: startedFrom, to: Date.now() };
    const port = server.metricsPort!;
    const native = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const taskQueue = `cost-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, activities });
    const run = (id: string) => client.workflow.execute<typeof wf.helloActivity>('helloActivity', { taskQueue, workflowId: id, args: ['x'] });
    try {
      const cost = await worker.runUntil(async () => {
        for (let i = 0; i < 2; i++) await run(`warm-${i}`);
        return measureCost({
          metricsPort: port,
          started,
          expected: EXPECTED,
          units: WORKFLOWS,
          work: async (attempt) => {
            for (let i = 0; i < WORKFLOWS; i++) expect(await run(`wf-${attempt}-${i}`)).toBe('Hello, x!');
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
