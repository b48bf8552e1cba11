import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { matchingPlugin, msToDuration } from '@chasm/matching';
import { workflowPlugin } from '../src/index.js';

/**
 * Eager workflow start (issue 11 item): a client that shares its NativeConnection with a worker
 * sends request_eager_execution when that worker has a free slot on the task queue; the start
 * answers the first workflow task, already started, and the worker runs it without a poll.
 */
const { CommandType, EventType, TimeoutType } = temporal.api.enums.v1;
type Events = temporal.api.history.v1.IHistoryEvent[];

const STARTER = 'eager-starter@test';

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

const eventTypes = (events: Events): string[] => events.map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));

describe.each(testDatabaseConfigs('chasm_eager_e2e'))('eager workflow start on $name', (dialect) => {
  let server: TestServer;
  let drop: () => Promise<void>;
  let raw: Connection;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config, metricsPort: 0 });
    raw = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await raw?.close();
    await server?.stop();
    await drop?.();
  });

  async function metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : 0;
  }

  async function history(workflowId: string): Promise<Events> {
    return (await raw.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } })).history?.events ?? [];
  }

  it('advertises eagerWorkflowStart in GetSystemInfo and the namespace capabilities', async () => {
    expect((await raw.workflowService.getSystemInfo({})).capabilities?.eagerWorkflowStart).toBe(true);
    expect((await raw.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.capabilities?.eagerWorkflowStart).toBe(true);
  });

  it('a workflow started eagerly through a shared NativeConnection runs its first task without a poll and completes', async () => {
    const taskQueue = `eager-${dialect.name}-${randomUUID().slice(0, 8)}`;
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: bundle, activities, identity: 'eager-worker@test' });
    const client = new Client({ connection, identity: STARTER });
    const eagerBefore = await metric('workflow_eager_execution_total');
    try {
      await worker.runUntil(async () => {
        const h = await client.workflow.start<typeof wf.helloActivity>('helloActivity', {
          taskQueue,
          workflowId: `eager-${randomUUID()}`,
          args: ['Eager'],
          requestEagerStart: true,
        });
        expect(h.eagerlyStarted).toBe(true);
        expect(await h.result()).toBe('Hello, Eager!');
        const events = await history(h.workflowId);
        expect(eventTypes(events).slice(0, 4)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED']);
        // Started for the starter (its identity), in the start's transaction: no poller took it.
        expect(events[2]!.workflowTaskStartedEventAttributes?.identity).toBe(STARTER);
        expect(events[3]!.workflowTaskCompletedEventAttributes?.identity).toBe('eager-worker@test');
        // The next task went through a poll, by the worker.
        const laterStarts = events.filter((e, i) => i > 2 && e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
        expect(laterStarts.length).toBeGreaterThan(0);
        for (const e of laterStarts) expect(e.workflowTaskStartedEventAttributes?.identity).toBe('eager-worker@test');

        // Without the option nothing changes: the first task is polled.
        const plain = await client.workflow.start<typeof wf.quick>('quick', { taskQueue, workflowId: `plain-${randomUUID()}` });
        expect(plain.eagerlyStarted).toBe(false);
        expect(await plain.result()).toBe('done');
        expect((await history(plain.workflowId))[2]!.workflowTaskStartedEventAttributes?.identity).toBe('eager-worker@test');
      });
      expect(await metric('workflow_eager_execution_total')).toBe(eagerBefore + 1);
    } finally {
      await connection.close();
    }
  });

  it('an existing run (USE_EXISTING) or a start delay answers no task; the workflow still runs', async () => {
    const taskQueue = `eager-deny-${dialect.name}-${randomUUID().slice(0, 8)}`;
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection, namespace: 'default', taskQueue, workflowBundle: bundle, identity: 'eager-worker@test' });
    const client = new Client({ connection, identity: STARTER });
    const existingBefore = await metric('workflow_eager_execution_denied_total', '{reason="task_already_dispatched"}');
    const backoffBefore = await metric('workflow_eager_execution_denied_total', '{reason="first_workflow_task_backoff"}');
    try {
      await worker.runUntil(async () => {
        const workflowId = `existing-${randomUUID()}`;
        const first = await client.workflow.start<typeof wf.signalQuery>('signalQuery', { taskQueue, workflowId });
        expect(first.eagerlyStarted).toBe(false);
        const again = await client.workflow.start<typeof wf.signalQuery>('signalQuery', {
          taskQueue,
          workflowId,
          workflowIdConflictPolicy: 'USE_EXISTING',
          requestEagerStart: true,
        });
        expect(again.eagerlyStarted).toBe(false);
        expect(again.firstExecutionRunId).toBe(first.firstExecutionRunId);
        await first.terminate('done');

        const delayed = await client.workflow.start<typeof wf.quick>('quick', {
          taskQueue,
          workflowId: `delayed-${randomUUID()}`,
          startDelay: '200ms',
          requestEagerStart: true,
        });
        expect(delayed.eagerlyStarted).toBe(false);
        expect(await delayed.result()).toBe('done');
      });
      expect(await metric('workflow_eager_execution_denied_total', '{reason="task_already_dispatched"}')).toBe(existingBefore + 1);
      expect(await metric('workflow_eager_execution_denied_total', '{reason="first_workflow_task_backoff"}')).toBe(backoffBefore + 1);
    } finally {
      await connection.close();
    }
  });

  it('the eager task is a started task: completed by its token, or timed out and retried through matching when dropped', async () => {
    const taskQueue = `eager-raw-${dialect.name}-${randomUUID().slice(0, 8)}`;
    const start = (workflowId: string, requestId: string): Promise<temporal.api.workflowservice.v1.StartWorkflowExecutionResponse> =>
      raw.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId,
        workflowType: { name: 'anything' },
        taskQueue: { name: taskQueue },
        workflowTaskTimeout: msToDuration(1000),
        identity: STARTER,
        requestId,
        requestEagerExecution: true,
      });
    const complete = (taskToken: Uint8Array) =>
      raw.workflowService.respondWorkflowTaskCompleted({
        namespace: 'default',
        taskToken,
        identity: 'hand',
        commands: [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
      });

    // Completed with the token the start answered.
    const kept = `eager-kept-${randomUUID()}`;
    const r1 = await start(kept, randomUUID());
    const task = r1.eagerWorkflowTask!;
    expect(r1.started).toBe(true);
    expect(Number(task.startedEventId)).toBe(3);
    expect(task.attempt).toBe(1);
    expect(task.workflowExecution).toMatchObject({ workflowId: kept, runId: r1.runId });
    expect(task.workflowType?.name).toBe('anything');
    expect(task.workflowExecutionTaskQueue?.name).toBe(taskQueue);
    expect(eventTypes(task.history?.events ?? [])).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    await complete(task.taskToken!);
    expect(eventTypes(await history(kept))).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);

    // Dropped: the start-to-close timeout (1 s) applies, and the retry goes to pollers.
    const dropped = `eager-dropped-${randomUUID()}`;
    const requestId = randomUUID();
    const r2 = await start(dropped, requestId);
    expect(r2.eagerWorkflowTask?.taskToken?.length).toBeGreaterThan(0);
    // A retried start (same request id) is the same run, started, with no second task.
    const retried = await start(dropped, requestId);
    expect(retried).toMatchObject({ runId: r2.runId, started: true });
    expect(retried.eagerWorkflowTask).toBeFalsy();
    const polled = await raw.workflowService.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue, kind: 1 }, identity: 'hand' });
    expect(polled.workflowExecution?.workflowId).toBe(dropped);
    expect(polled.attempt).toBe(2);
    const events = await history(dropped);
    expect(eventTypes(events)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_TIMED_OUT']);
    expect(events[3]!.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    // The eager token is stale now; the polled one completes the run.
    await expect(complete(r2.eagerWorkflowTask!.taskToken!)).rejects.toMatchObject({ code: 5 });
    await complete(polled.taskToken!);
    expect(eventTypes(await history(dropped)).at(-1)).toBe('WORKFLOW_EXECUTION_COMPLETED');
  });
});
