import { randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, e2eDialects, quietRuntime, waitUntil } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { workflowUpdatePlugin } from '../src/index.js';

/**
 * Updates around the first workflow task and replay (issue 11): updates admitted before any
 * worker ran the first task, update-with-start, updates that arrive while a task is in flight or
 * heartbeating, each with a cached worker and with one that replays every task.
 */
const { EventType, UpdateWorkflowExecutionLifecycleStage: Stage } = temporal.api.enums.v1;
const PLUGINS = [matchingPlugin, workflowPlugin, workflowUpdatePlugin];

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

/** The local activity `gate`: each call waits until the test opens its gate. */
class Gates {
  private readonly started = new Set<string>();
  private readonly opened = new Map<string, () => void>();
  private readonly waiting = new Map<string, Promise<void>>();

  readonly activities = {
    gate: async (name: string): Promise<void> => {
      this.started.add(name);
      await this.promise(name);
    },
  };

  private promise(name: string): Promise<void> {
    let p = this.waiting.get(name);
    if (!p) {
      p = new Promise<void>((resolve) => this.opened.set(name, resolve));
      this.waiting.set(name, p);
    }
    return p;
  }

  async whenStarted(name: string): Promise<void> {
    await waitUntil(async () => this.started.has(name));
  }

  open(name: string): void {
    void this.promise(name);
    this.opened.get(name)!();
  }
}

async function startWorker(address: string, taskQueue: string, maxCachedWorkflows: number, gates?: Gates) {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    maxCachedWorkflows,
    ...(gates ? { activities: gates.activities } : {}),
  });
  const running = worker.run();
  return {
    connection,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

type Events = temporal.api.history.v1.IHistoryEvent[];

/** Update ids in the order their UpdateAccepted events were written. */
function acceptedOrder(events: Events): string[] {
  return events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.protocolInstanceId!);
}

/** Id of the first WorkflowTaskCompleted event. */
function firstCompletedTask(events: Events): number {
  return Number(events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)!.eventId);
}

/** For each UpdateAccepted event, the WorkflowTaskCompleted event it follows (the task that accepted it). */
function acceptedByTask(events: Events): number[] {
  let completed = 0;
  const out: number[] = [];
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) completed = Number(e.eventId);
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) out.push(completed);
  }
  return out;
}

/** A worker that hits a nondeterminism error (or any other task failure) leaves WorkflowTaskFailed behind. */
function failedTasks(events: Events): string[] {
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => `${e.workflowTaskFailedEventAttributes?.cause}: ${e.workflowTaskFailedEventAttributes?.failure?.message ?? ''}`);
}

describe.each(e2eDialects())('updates in the first workflow task and around replay on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let raw: Connection;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: PLUGINS, database: db.config });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    raw = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await raw?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  /** Waits until the server has admitted the update (a no-wait PollWorkflowExecutionUpdate sees it). */
  async function admitted(workflowId: string, updateId: string): Promise<void> {
    await waitUntil(async () => {
      const r = await raw.workflowService
        .pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { workflowId }, updateId } })
        .catch(() => undefined);
      return r?.stage !== undefined && r.stage >= Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
    });
  }

  /** Ends the run, then checks its result, a replay of the whole history (query) and that no task failed. */
  async function finish(h: WorkflowHandle<typeof wf.recorder>, expected: string[]): Promise<Events> {
    await h.signal(wf.doneSignal);
    expect(await h.result()).toEqual(expected);
    // A query on a closed run makes a worker replay the history from the start.
    expect(await h.query(wf.handledQuery)).toEqual(expected);
    const events = (await h.fetchHistory()).events ?? [];
    expect(failedTasks(events)).toEqual([]);
    return events;
  }

  describe.each([
    { mode: 'cached', maxCachedWorkflows: 100 },
    { mode: 'replaying every task', maxCachedWorkflows: 0 },
  ])('with the SDK worker ($mode)', ({ maxCachedWorkflows }) => {
    const id = (name: string): string => `${name}-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
    const queue = (name: string): string => `${name}-${dialect.name}-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;

    it('three updates admitted one after the other before any worker ran are all handled in the first task, in admission order', async () => {
      const taskQueue = queue('first');
      const h = await client.workflow.start(wf.recorder, { taskQueue, workflowId: id('first') });
      const ids = ['u1', 'u2', 'u3'];
      const pending = [];
      for (const updateId of ids) {
        pending.push(h.startUpdate(wf.recordUpdate, { args: [updateId], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }));
        await admitted(h.workflowId, updateId);
      }
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows);
      try {
        const handles = await Promise.all(pending);
        expect(await Promise.all(handles.map((u) => u.result()))).toEqual([['u1'], ['u1', 'u2'], ['u1', 'u2', 'u3']]);
        const events = await finish(h, ids);
        expect(acceptedOrder(events)).toEqual(ids);
        // All three accepted by the first workflow task.
        expect(acceptedByTask(events)).toEqual([firstCompletedTask(events), firstCompletedTask(events), firstCompletedTask(events)]);
      } finally {
        await worker.stop();
      }
    });

    it('three updates sent in parallel before any worker ran (handlers with timers) run in the order they were accepted', async () => {
      const taskQueue = queue('parallel');
      const h = await client.workflow.start(wf.recorder, { taskQueue, workflowId: id('parallel') });
      const ids = ['p1', 'p2', 'p3'];
      const pending = ids.map((updateId) => h.startUpdate(wf.recordSlowUpdate, { args: [updateId], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }));
      for (const updateId of ids) await admitted(h.workflowId, updateId);
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows);
      try {
        const handles = await Promise.all(pending);
        const results = await Promise.all(handles.map((u) => u.result()));
        const events = (await h.fetchHistory()).events ?? [];
        const order = acceptedOrder(events);
        expect([...order].sort()).toEqual(ids);
        // Every handler recorded itself before any timer fired: each sees all three, in acceptance order.
        for (const r of results) expect(r).toEqual(order);
        await finish(h, order);
      } finally {
        await worker.stop();
      }
    });

    it('update-with-start before any worker ran, then two more updates: all handled in the first task, in order', async () => {
      const taskQueue = queue('uws');
      const workflowId = id('uws');
      const op = new WithStartWorkflowOperation(wf.recorder, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
      const first = client.workflow.startUpdateWithStart(wf.recordUpdate, {
        args: ['w1'],
        updateId: 'w1',
        waitForStage: WorkflowUpdateStage.ACCEPTED,
        startWorkflowOperation: op,
      });
      await admitted(workflowId, 'w1');
      // Not op.workflowHandle(): it resolves only with the response, once the update is accepted.
      const h = client.workflow.getHandle<typeof wf.recorder>(workflowId);
      const more = [];
      for (const updateId of ['w2', 'w3']) {
        more.push(h.startUpdate(wf.recordUpdate, { args: [updateId], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED }));
        await admitted(workflowId, updateId);
      }
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows);
      try {
        const handles = await Promise.all([first, ...more]);
        expect(await Promise.all(handles.map((u) => u.result()))).toEqual([['w1'], ['w1', 'w2'], ['w1', 'w2', 'w3']]);
        const events = await finish(h, ['w1', 'w2', 'w3']);
        expect(acceptedOrder(events)).toEqual(['w1', 'w2', 'w3']);
      } finally {
        await worker.stop();
      }
    });

    it('update-with-start with a worker running, then more updates at once', async () => {
      const taskQueue = queue('uws-live');
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows);
      try {
        const workflowId = id('uws-live');
        const op = new WithStartWorkflowOperation(wf.recorder, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
        const first = await client.workflow.executeUpdateWithStart(wf.recordUpdate, { args: ['l1'], updateId: 'l1', startWorkflowOperation: op });
        expect(first).toEqual(['l1']);
        const h = await op.workflowHandle();
        const rest = await Promise.all(['l2', 'l3', 'l4'].map((updateId) => h.executeUpdate(wf.recordSlowUpdate, { args: [updateId], updateId })));
        const events = (await h.fetchHistory()).events ?? [];
        const order = acceptedOrder(events);
        expect(order[0]).toBe('l1');
        expect([...order].sort()).toEqual(['l1', 'l2', 'l3', 'l4']);
        for (const r of rest) expect(r.slice(0, 1)).toEqual(['l1']);
        await finish(h, order);
      } finally {
        await worker.stop();
      }
    });

    it('updates sent while an eagerly started first task is in flight are handled by the next task, in order', async () => {
      const taskQueue = queue('eager');
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows);
      try {
        // The client shares the worker's NativeConnection: the start hands the first task to that worker.
        const eagerClient = new Client({ connection: worker.connection });
        const h = await eagerClient.workflow.start(wf.recorder, { taskQueue, workflowId: id('eager'), requestEagerStart: true });
        expect(h.eagerlyStarted).toBe(true);
        const ids = ['e1', 'e2', 'e3'];
        const handles = await Promise.all(ids.map((updateId) => h.startUpdate(wf.recordSlowUpdate, { args: [updateId], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED })));
        const results = await Promise.all(handles.map((u) => u.result()));
        const events = (await h.fetchHistory()).events ?? [];
        const order = acceptedOrder(events);
        expect([...order].sort()).toEqual(ids);
        // Each handler ran after those accepted before it (acceptance order is handler order).
        for (const [i, r] of results.entries()) expect(r.slice(0, order.indexOf(ids[i]!) + 1)).toEqual(order.slice(0, order.indexOf(ids[i]!) + 1));
        await finish(h, order);
      } finally {
        await worker.stop();
      }
    });

    it('an update sent while the workflow task is in flight (a local activity runs) is delivered by the next task', async () => {
      const taskQueue = queue('inflight');
      const gates = new Gates();
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows, gates);
      try {
        const h = await client.workflow.start(wf.gated, { taskQueue, workflowId: id('inflight'), args: [2] });
        await gates.whenStarted('round-0');
        const u1 = h.executeUpdate(wf.recordUpdate, { args: ['i1'], updateId: 'i1' });
        await admitted(h.workflowId, 'i1');
        gates.open('round-0');
        await gates.whenStarted('round-1');
        const u2 = h.executeUpdate(wf.recordUpdate, { args: ['i2'], updateId: 'i2' });
        await admitted(h.workflowId, 'i2');
        gates.open('round-1');
        expect(await u1).toEqual(['i1']);
        expect(await u2).toEqual(['i1', 'i2']);
        await finish(h, ['i1', 'i2']);
      } finally {
        await worker.stop();
      }
    });

    it('an update sent while a long local activity keeps the workflow task heartbeating is handled', async () => {
      const taskQueue = queue('heartbeat');
      const gates = new Gates();
      const worker = await startWorker(server.address, taskQueue, maxCachedWorkflows, gates);
      try {
        // A 2 s task timeout: core heartbeats the task (completes it with force_create_new_workflow_task) after ~1.6 s.
        const h = await client.workflow.start(wf.gated, { taskQueue, workflowId: id('heartbeat'), args: [1], workflowTaskTimeout: '2s' });
        await gates.whenStarted('round-0');
        const completedTasks = async () =>
          ((await h.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length;
        await waitUntil(async () => (await completedTasks()) >= 1);
        const u1 = h.executeUpdate(wf.recordUpdate, { args: ['h1'], updateId: 'h1' });
        await admitted(h.workflowId, 'h1');
        const heartbeatsBefore = await completedTasks();
        await waitUntil(async () => (await completedTasks()) > heartbeatsBefore);
        gates.open('round-0');
        expect(await u1).toEqual(['h1']);
        await finish(h, ['h1']);
      } finally {
        await worker.stop();
      }
    });
  });
});
