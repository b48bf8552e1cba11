import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { openDatabase, type Database } from '@chasm/core';
import { freePort, scrapeMetrics, testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';
import { until } from './e2e-helpers.js';
import { outcomeOf } from './hand-worker.js';

/**
 * ADR 0066: the workflow task an activity's completion schedules is handed to the waiting poller
 * as soon as the completion's commit is sent to the database, not once it is durable. Driven over
 * raw gRPC against real Postgres, whose commit the test holds back with a row lock on the run's
 * execution row: the poll is answered while the commit waits; the worker's answer waits for the
 * commit's outcome on the run's lock; and when the commit fails (its backend terminated), the
 * worker's answer is refused, the activity's completion is retried and the run goes on with one
 * completion in its history. Postgres only: an embedded PGlite cannot be blocked from outside.
 */
const { EventType, TaskQueueType, WorkflowExecutionStatus } = temporal.api.enums.v1;
const Code = { OK: 0, NOT_FOUND: 5, UNAVAILABLE: 14 } as const;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const namespace = 'default';
const postgres = testDatabaseConfigs('chasm_handoff_sent').filter((d) => d.name === 'postgres');

const types = (events: readonly HistoryEvent[] | null | undefined): string[] =>
  (events ?? []).map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));
const payloads = (text: string) => ({ payloads: [{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify(text)) }] });

describe.runIf(postgres.length > 0)('workflow task handed over when the completion commit is sent (Postgres)', () => {
  let server: TestServer;
  let connection: Connection;
  let database: Database;
  let drop: () => Promise<void>;
  let metricsPort: number;
  const svc = () => connection.workflowService;

  beforeAll(async () => {
    const db = await postgres[0]!.open();
    drop = db.drop;
    metricsPort = await freePort();
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config, metricsPort });
    connection = await Connection.connect({ address: server.address, interceptors: [] });
    if (db.config.kind !== 'postgres') throw new Error('expected Postgres');
    database = await openDatabase({ kind: 'postgres', url: db.config.url, poolSize: 3 });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await database?.close();
    await drop?.();
  });

  /** Holds a row lock on the run's execution row in a transaction of its own until released. */
  async function lockExecutionRow(workflowId: string): Promise<{ release(): Promise<void> }> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const done = database.db.connection().execute(async (conn) => {
      await sql`begin`.execute(conn);
      await sql`select 1 from executions where business_id = ${workflowId} for update`.execute(conn);
      locked();
      await released;
      await sql`rollback`.execute(conn);
    });
    await isLocked;
    return {
      async release() {
        release();
        await done;
      },
    };
  }

  /** The pid of the server's backend waiting on the test's lock (its commit is at the database). */
  function blockedBackend(): Promise<number> {
    return until('the commit to wait on the row lock', async () => {
      const r = await sql<{ pid: number }>`select pid from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
      return r.rows[0]?.pid;
    });
  }

  /**
   * A run whose activity was taken by a worker, with a workflow poll waiting on the run's queue
   * (the run is not sticky: its next task goes to the normal queue).
   */
  async function runWithActivityInFlight() {
    const workflowId = `handoff-${randomUUID()}`;
    const queue = `handoff-${randomUUID()}`;
    await svc().startWorkflowExecution({ namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: queue }, requestId: randomUUID() });
    const first = await svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'worker' });
    await svc().respondWorkflowTaskCompleted({
      namespace,
      taskToken: first.taskToken,
      identity: 'worker',
      commands: [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
          scheduleActivityTaskCommandAttributes: {
            activityId: 'a1',
            activityType: { name: 'act' },
            taskQueue: { name: queue },
            startToCloseTimeout: { seconds: 60 as never },
          },
        },
      ],
    });
    const activity = await svc().pollActivityTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'activity-worker' });
    expect(activity.taskToken?.length).toBeGreaterThan(0);
    const identity = `waiter-${randomUUID()}`;
    const waiting = svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity });
    await until('the workflow poll to wait', async () => {
      const d = await svc().describeTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
      return d.pollers?.some((p) => p.identity === identity) ? true : undefined;
    });
    return { workflowId, queue, activityToken: activity.taskToken!, waiting };
  }

  const completeWorkflow = [
    {
      commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      completeWorkflowExecutionCommandAttributes: { result: payloads('done') },
    },
  ];
  const history = async (workflowId: string) =>
    (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [];
  const handoffs = async (outcome: string) => (await scrapeMetrics(metricsPort)).get(`chasm_handoffs_before_durable_total{outcome="${outcome}"}`) ?? 0;

  it('answers the poll while the commit waits, and the worker’s answer after the commit', async () => {
    const run = await runWithActivityInFlight();
    const committedBefore = await handoffs('committed');
    const lock = await lockExecutionRow(run.workflowId);
    const order: string[] = [];
    const completion = outcomeOf(
      svc().respondActivityTaskCompleted({ namespace, taskToken: run.activityToken, identity: 'activity-worker', result: payloads('r1') }),
    ).then((o) => (order.push('activity completed'), o));
    await blockedBackend();
    // The commit cannot finish while the lock is held: the poll is answered before it.
    const task = await run.waiting;
    order.push('polled');
    expect(types(task.history?.events)).toContain('ACTIVITY_TASK_COMPLETED');
    const finished = outcomeOf(
      svc().respondWorkflowTaskCompleted({ namespace, taskToken: task.taskToken, identity: 'worker', commands: completeWorkflow }),
    ).then((o) => (order.push('workflow task completed'), o));
    await lock.release();
    expect((await completion).code).toBe(Code.OK);
    expect((await finished).code).toBe(Code.OK);
    // The worker's answer took the run's lock after the commit it depends on.
    expect(order).toEqual(['polled', 'activity completed', 'workflow task completed']);
    expect(types(await history(run.workflowId)).slice(-6)).toEqual([
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(await handoffs('committed')).toBe(committedBefore + 1);
  }, 60_000);

  it('refuses the worker’s answer when the commit fails, and the retried completion goes on', async () => {
    const run = await runWithActivityInFlight();
    const failedBefore = await handoffs('failed');
    const lock = await lockExecutionRow(run.workflowId);
    const completion = outcomeOf(
      svc().respondActivityTaskCompleted({ namespace, taskToken: run.activityToken, identity: 'activity-worker', result: payloads('lost') }),
    );
    const pid = await blockedBackend();
    const task = await run.waiting;
    expect(types(task.history?.events)).toContain('ACTIVITY_TASK_COMPLETED');
    // The commit fails: its backend is terminated while it waits on the lock.
    await sql`select pg_terminate_backend(${pid})`.execute(database.db);
    expect((await completion).code).toBe(Code.UNAVAILABLE);
    await lock.release();
    expect(await handoffs('failed')).toBe(failedBefore + 1);
    // The task handed over was never written: the worker's answer is refused.
    const refused = await outcomeOf(
      svc().respondWorkflowTaskCompleted({ namespace, taskToken: task.taskToken, identity: 'worker', commands: completeWorkflow }),
    );
    expect(refused.code).toBe(Code.NOT_FOUND);
    expect(types(await history(run.workflowId))).not.toContain('ACTIVITY_TASK_COMPLETED');
    // The activity worker retries its completion (as the SDK does on UNAVAILABLE).
    const retried = await outcomeOf(
      svc().respondActivityTaskCompleted({ namespace, taskToken: run.activityToken, identity: 'activity-worker', result: payloads('r2') }),
    );
    expect(retried.code).toBe(Code.OK);
    const next = await svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: run.queue, kind: 1 }, identity: 'worker' });
    const completed = (next.history?.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    expect(completed).toHaveLength(1);
    expect(new TextDecoder().decode(completed[0]!.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data ?? new Uint8Array())).toBe('"r2"');
    const done = await outcomeOf(
      svc().respondWorkflowTaskCompleted({ namespace, taskToken: next.taskToken, identity: 'worker', commands: completeWorkflow }),
    );
    expect(done.code).toBe(Code.OK);
    const d = await svc().describeWorkflowExecution({ namespace, execution: { workflowId: run.workflowId } });
    expect(d.workflowExecutionInfo?.status).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    expect(types(await history(run.workflowId)).filter((t) => t === 'ACTIVITY_TASK_COMPLETED')).toHaveLength(1);
  }, 60_000);
});
