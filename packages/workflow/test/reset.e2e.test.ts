import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { long, matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { workflowPlugin } from '../src/index.js';

const EventType = temporal.api.enums.v1.EventType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const Exclude = temporal.api.enums.v1.ResetReapplyExcludeType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe.each(testDatabaseConfigs('chasm_reset_e2e'))('ResetWorkflowExecution on $name', (dialect) => {
  let server: TestServer;
  let drop: () => Promise<void>;
  let client: Client;
  let raw: Connection;
  let nativeConnection: NativeConnection;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    // No retry interceptor: status codes are asserted as they are.
    raw = await Connection.connect({ address: server.address, interceptors: [] });
    nativeConnection = await NativeConnection.connect({ address: server.address });
  });
  afterAll(async () => {
    await client?.connection.close();
    await raw?.close();
    await nativeConnection?.close();
    await server?.stop();
    await drop?.();
  });

  const history = async (workflowId: string, runId: string): Promise<HistoryEvent[]> => {
    const r = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId } });
    return r.history?.events ?? [];
  };
  const completedIds = (events: HistoryEvent[]): number[] =>
    events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map((e) => Number(e.eventId));
  const reset = async (workflowId: string, runId: string, eventId: number, extra: Partial<temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest> = {}) =>
    (
      await client.workflowService.resetWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId, runId },
        reason: 'reset by test',
        workflowTaskFinishEventId: long(eventId),
        requestId: randomUUID(),
        ...extra,
      })
    ).runId;

  describe.each([
    { mode: 'cached', maxCachedWorkflows: 100 },
    { mode: 'cache off', maxCachedWorkflows: 0 },
  ])('with the SDK worker ($mode)', ({ maxCachedWorkflows }) => {
    const taskQueue = `reset-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
    const id = (name: string): string => `${name}-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
    let worker: Worker;
    let running: Promise<void>;

    beforeAll(async () => {
      worker = await Worker.create({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: bundle,
        activities,
        maxCachedWorkflows,
        buildId: 'reset-build-1',
        ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
      });
      running = worker.run();
    });
    afterAll(async () => {
      worker?.shutdown();
      await running;
    });

    /** Starts signalQuery, adds `n` and waits until the worker has processed it. */
    async function waitingOnSignal(name: string, n: number): Promise<WorkflowHandleWithFirstExecutionRunId<typeof wf.signalQuery>> {
      const h = await client.workflow.start<typeof wf.signalQuery>('signalQuery', { taskQueue, workflowId: id(name) });
      await h.signal<[number]>('add', n);
      await waitUntil(async () => (await h.query<number>('total')) === n);
      return h;
    }

    it('resets a completed workflow to its first workflow task: it runs again to completion as a new run', async () => {
      const h = await client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue, workflowId: id('first'), args: ['reset'] });
      expect(await h.result()).toBe('Hello, reset!');
      const baseRunId = h.firstExecutionRunId;
      const first = completedIds(await history(h.workflowId, baseRunId))[0]!;
      const newRunId = await reset(h.workflowId, baseRunId, first);
      expect(newRunId).not.toBe(baseRunId);
      const again = client.workflow.getHandle(h.workflowId, newRunId);
      expect(await again.result()).toBe('Hello, reset!');
      const events = await history(h.workflowId, newRunId);
      const failed = events[first - 1]!;
      expect(failed.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      expect(failed.workflowTaskFailedEventAttributes).toMatchObject({
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
        baseRunId,
        newRunId,
        failure: { message: 'reset by test' },
      });
      expect(events[first]!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
      // The copied prefix is the base run's, event for event.
      const base = await history(h.workflowId, baseRunId);
      expect(events.slice(0, first - 1).map((e) => e.eventType)).toEqual(base.slice(0, first - 1).map((e) => e.eventType));
      expect(events.at(-1)!.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
      // The closed base run stays as it was; the new run is the current one.
      expect((await client.workflow.getHandle(h.workflowId).describe()).runId).toBe(newRunId);
    });

    it('resets a running workflow waiting on a signal to its last workflow task: the old run is terminated, the new run continues', async () => {
      const h = await waitingOnSignal('last', 3);
      const baseRunId = h.firstExecutionRunId;
      const last = completedIds(await history(h.workflowId, baseRunId)).at(-1)!;
      const newRunId = await reset(h.workflowId, baseRunId, last);
      const old = await client.workflow.getHandle(h.workflowId, baseRunId).describe();
      expect(old.status.name).toBe('TERMINATED');
      expect(old.raw.workflowExtendedInfo?.resetRunId).toBe(newRunId);
      const oldEvents = await history(h.workflowId, baseRunId);
      expect(oldEvents.at(-1)!.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason: 'reset by test', identity: 'history-resetter' });
      const current = client.workflow.getHandle<typeof wf.signalQuery>(h.workflowId);
      await waitUntil(async () => (await current.query<number>('total')) === 3);
      await current.signal('finish');
      expect(await current.result()).toBe(3);
      expect((await current.describe()).runId).toBe(newRunId);
      const info = (await current.describe()).raw.workflowExtendedInfo;
      expect(info?.originalStartTime).toBeTruthy();
      expect(info?.lastResetTime).toBeTruthy();
    });

    it('reapplies the signals after the reset point, and not with EXCLUDE_SIGNAL', async () => {
      for (const exclude of [false, true]) {
        const h = await waitingOnSignal(exclude ? 'exclude' : 'reapply', 3);
        const baseRunId = h.firstExecutionRunId;
        const point = completedIds(await history(h.workflowId, baseRunId)).at(-1)!;
        await h.signal<[number]>('add', 4);
        await waitUntil(async () => (await h.query<number>('total')) === 7);
        const newRunId = await reset(h.workflowId, baseRunId, point, exclude ? { resetReapplyExcludeTypes: [Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL] } : {});
        const current = client.workflow.getHandle<typeof wf.signalQuery>(h.workflowId, newRunId);
        const expected = exclude ? 3 : 7;
        await waitUntil(async () => (await current.query<number>('total')) === expected);
        await current.signal('finish');
        expect(await current.result()).toBe(expected);
        const signals = (await history(h.workflowId, newRunId)).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
        expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual(exclude ? ['add', 'finish'] : ['add', 'add', 'finish']);
      }
    });

    it('resets to a WorkflowTaskStarted event: the reset writes Started, then fails the task', async () => {
      const h = await waitingOnSignal('started', 5);
      const baseRunId = h.firstExecutionRunId;
      const newRunId = await reset(h.workflowId, baseRunId, 3);
      const events = await history(h.workflowId, newRunId);
      // Started (written by the reset), Failed, the reapplied signal, the new task.
      expect(events.slice(2, 6).map((e) => e.eventType)).toEqual([
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      ]);
      expect(events[2]!.workflowTaskStartedEventAttributes?.identity).toBe('history-service');
      const current = client.workflow.getHandle<typeof wf.signalQuery>(h.workflowId, newRunId);
      // The signal after the reset point is reapplied: the new run sees it.
      await waitUntil(async () => (await current.query<number>('total')) === 5);
      await current.signal('finish');
      expect(await current.result()).toBe(5);
    });

    it('rebuilds the activity and timer pending at the reset point: the activity is dispatched again, the timer fires', async () => {
      const activityQueue = `${taskQueue}-act-${randomUUID().slice(0, 8)}`;
      const h = await client.workflow.start<typeof wf.pendingAtReset>('pendingAtReset', {
        taskQueue,
        workflowId: id('pending'),
        args: [activityQueue, 2500],
      });
      const baseRunId = h.firstExecutionRunId;
      await waitUntil(async () => completedIds(await history(h.workflowId, baseRunId)).length >= 1);
      await h.signal('poke');
      await waitUntil(async () => completedIds(await history(h.workflowId, baseRunId)).length >= 2);
      const last = completedIds(await history(h.workflowId, baseRunId)).at(-1)!;
      const newRunId = await reset(h.workflowId, baseRunId, last);
      const current = client.workflow.getHandle<typeof wf.pendingAtReset>(h.workflowId, newRunId);
      const d = await current.describe();
      expect(d.raw.pendingActivities?.map((a) => a.activityType?.name)).toEqual(['greet']);
      const events = await history(h.workflowId, newRunId);
      expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)).toBe(true);
      const activityWorker = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: activityQueue, activities });
      expect(await activityWorker.runUntil(current.result())).toBe('Hello, reset! slept 1');
      const done = await history(h.workflowId, newRunId);
      expect(done.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(1);
      expect(done.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)).toHaveLength(1);
    });

    it('records reset points in Describe, and the new run carries them', async () => {
      const h = await waitingOnSignal('points', 1);
      const baseRunId = h.firstExecutionRunId;
      const d = await h.describe();
      const points = d.raw.workflowExecutionInfo?.autoResetPoints?.points ?? [];
      // One point per <binary checksum, build id>: the same worker completed every task.
      expect(points).toHaveLength(1);
      expect(points[0]).toMatchObject({ runId: baseRunId, resettable: true });
      expect(Number(points[0]!.firstWorkflowTaskCompletedId)).toBe(completedIds(await history(h.workflowId, baseRunId))[0]);
      expect(points[0]!.binaryChecksum || points[0]!.buildId).toBeTruthy();
      expect(points[0]!.createTime).toBeTruthy();
      const newRunId = await reset(h.workflowId, baseRunId, Number(points[0]!.firstWorkflowTaskCompletedId));
      const current = client.workflow.getHandle<typeof wf.signalQuery>(h.workflowId, newRunId);
      await waitUntil(async () => (await current.query<number>('total')) === 1);
      const carried = (await current.describe()).raw.workflowExecutionInfo?.autoResetPoints?.points ?? [];
      expect(carried.map((p) => [p.runId, Number(p.firstWorkflowTaskCompletedId)])).toEqual(points.map((p) => [p.runId, Number(p.firstWorkflowTaskCompletedId)]));
      await current.signal('finish');
      expect(await current.result()).toBe(1);
    });

    it('resetting a run that is no longer current terminates the running current run', async () => {
      const h = await waitingOnSignal('noncurrent', 6);
      const baseRunId = h.firstExecutionRunId;
      const point = completedIds(await history(h.workflowId, baseRunId)).at(-1)!;
      const second = await reset(h.workflowId, baseRunId, point);
      const third = await reset(h.workflowId, baseRunId, point);
      expect(new Set([baseRunId, second, third]).size).toBe(3);
      const b = await client.workflow.getHandle(h.workflowId, second).describe();
      expect(b.status.name).toBe('TERMINATED');
      expect(b.raw.workflowExtendedInfo?.resetRunId).toBe(third);
      const current = client.workflow.getHandle<typeof wf.signalQuery>(h.workflowId);
      expect((await current.describe()).runId).toBe(third);
      await waitUntil(async () => (await current.query<number>('total')) === 6);
      await current.signal('finish');
      expect(await current.result()).toBe(6);
    });

    it('is idempotent by request_id', async () => {
      const h = await waitingOnSignal('idem', 2);
      const baseRunId = h.firstExecutionRunId;
      const last = completedIds(await history(h.workflowId, baseRunId)).at(-1)!;
      const requestId = randomUUID();
      const a = await reset(h.workflowId, baseRunId, last, { requestId });
      const b = await reset(h.workflowId, baseRunId, last, { requestId });
      expect(b).toBe(a);
      const current = client.workflow.getHandle<typeof wf.signalQuery>(h.workflowId);
      expect((await current.describe()).runId).toBe(a);
      const runs = await client.workflowService.countWorkflowExecutions({ namespace: 'default', query: `WorkflowId = '${h.workflowId}'` });
      expect(Number(runs.count)).toBe(2);
      await current.signal('finish');
      expect(await current.result()).toBe(2);
      // A different request id resets again.
      const c = await reset(h.workflowId, a, completedIds(await history(h.workflowId, a)).at(-1)!);
      expect(c).not.toBe(a);
    });
  });

  describe('bad requests', () => {
    const code = async (p: Promise<unknown>): Promise<{ code: number; details: string }> => {
      const e = (await p.then(() => undefined, (err: unknown) => err)) as { code?: number; details?: string } | undefined;
      return { code: e?.code ?? 0, details: e?.details ?? '' };
    };
    const rawReset = (workflowId: string, eventId: number) =>
      raw.workflowService.resetWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId },
        reason: 'bad',
        workflowTaskFinishEventId: long(eventId),
        requestId: randomUUID(),
      });

    it('an event id that is not a workflow task finish, or beyond history, is INVALID_ARGUMENT naming workflow_task_finish_event_id', async () => {
      const workflowId = `bad-${randomUUID()}`;
      // No worker polls this queue: history is Started, WorkflowTaskScheduled.
      await client.workflow.start('signalQuery', { taskQueue: `nobody-${randomUUID()}`, workflowId });
      for (const eventId of [0, 1, 2, 99]) {
        const r = await code(rawReset(workflowId, eventId));
        expect(r.code).toBe(3);
        expect(r.details).toContain('workflow_task_finish_event_id');
      }
      // Nothing changed: the run is still running, the only run of its id.
      const d = await client.workflow.getHandle(workflowId).describe();
      expect(d.status.name).toBe('RUNNING');
      expect(d.historyLength).toBe(2);
    });

    it('an unknown workflow is NOT_FOUND', async () => {
      const r = await code(rawReset(`missing-${randomUUID()}`, 4));
      expect(r.code).toBe(5);
    });

    it('a failed workflow can be reset to run again', async () => {
      const workflowId = `failed-${randomUUID()}`;
      const q = `failing-${randomUUID().slice(0, 8)}`;
      const w = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: q, workflowBundle: bundle, activities });
      await w.runUntil(async () => {
        const h = await client.workflow.start('failing', { taskQueue: q, workflowId });
        await expect(h.result()).rejects.toBeInstanceOf(WorkflowFailedError);
        const newRunId = await reset(workflowId, h.firstExecutionRunId, 4);
        await expect(client.workflow.getHandle(workflowId, newRunId).result()).rejects.toBeInstanceOf(WorkflowFailedError);
        const d = await client.workflow.getHandle(workflowId, newRunId).describe();
        expect(d.raw.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_FAILED);
      });
    });
  });
});
