import { randomUUID } from 'node:crypto';
import { Context, CancelledFailure, CompleteAsyncError } from '@temporalio/activity';
import { ActivityExecutionAlreadyStartedError, ActivityExecutionFailedError, ApplicationFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../src/testing/index.js';
import { e2eDialects, runWorker, startHarness, type Harness } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(e2eDialects())('standalone activity with the SDK activity client and a real worker ($name)', (dialect) => {
  let dropDb: (() => Promise<void>) | undefined;
  let h: Harness;
  let stopWorker: () => Promise<void>;
  const taskQueue = `sa-${randomUUID()}`;
  /** Activities record what they saw, keyed by activity id. */
  const seen = new Map<string, string[]>();
  const note = (what: string): void => {
    const id = Context.current().info.activityId;
    seen.set(id, [...(seen.get(id) ?? []), what]);
  };
  const id = (): string => `a-${randomUUID()}`;

  beforeAll(async () => {
    const db = await dialect.open();
    dropDb = db.drop;
    h = await startHarness({ database: db.config });
    const w = await runWorker(h.server.address, taskQueue, {
      async greet(name: string) {
        return `hello ${name}`;
      },
      async failOnce() {
        const { attempt } = Context.current().info;
        note(`attempt ${attempt}`);
        if (attempt === 1) throw ApplicationFailure.create({ message: 'first attempt fails', type: 'Flaky' });
        return `ok on ${attempt}`;
      },
      async failHard() {
        note('ran');
        throw ApplicationFailure.nonRetryable('permanently broken', 'Broken');
      },
      async silentThenOk() {
        const { attempt } = Context.current().info;
        note(`attempt ${attempt}`);
        // Attempt 1 never heartbeats: the server's heartbeat timer must fire and retry.
        if (attempt === 1) await sleep(2_500);
        return `ok on ${attempt}`;
      },
      async tooSlow() {
        note('ran');
        // Work that outlasts its start-to-close timeout: the server's timer is what is tested.
        await sleep(2_500);
        return 'late';
      },
      async heartbeatUntilCancelled() {
        const ctx = Context.current();
        note('started');
        try {
          for (;;) {
            ctx.heartbeat('beat');
            await ctx.sleep(200);
          }
        } catch (e) {
          note(e instanceof CancelledFailure ? `cancelled:${e.message}` : `error:${String(e)}`);
          throw e;
        }
      },
      async completeAsync() {
        note('started');
        throw new CompleteAsyncError();
      },
    });
    stopWorker = w.stop;
  });
  afterAll(async () => {
    await stopWorker?.();
    await h?.close();
    await dropDb?.();
  });

  it('completes with a result', async () => {
    const handle = await h.client.activity.start('greet', { id: id(), taskQueue, startToCloseTimeout: '5s', args: ['world'] });
    await expect(handle.result()).resolves.toBe('hello world');
    const d = await handle.describe();
    expect(d.status).toBe('COMPLETED');
    expect(d.attempt).toBe(1);
    expect(d.activityType).toBe('greet');
    expect(d.taskQueue).toBe(taskQueue);
  });

  it('retries a failure and succeeds on attempt 2 (visible in Describe)', async () => {
    const handle = await h.client.activity.start('failOnce', {
      id: id(),
      taskQueue,
      startToCloseTimeout: '5s',
      retry: { initialInterval: '100ms', maximumAttempts: 3 },
    });
    await expect(handle.result()).resolves.toBe('ok on 2');
    const d = await handle.describe({ includeLastFailure: true });
    expect(d.status).toBe('COMPLETED');
    expect(d.attempt).toBe(2);
    expect(d.hasLastFailure).toBe(true);
    expect(seen.get(handle.activityId)).toEqual(['attempt 1', 'attempt 2']);
  });

  it('does not retry a non-retryable failure', async () => {
    const handle = await h.client.activity.start('failHard', { id: id(), taskQueue, startToCloseTimeout: '5s', retry: { initialInterval: '100ms' } });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActivityExecutionFailedError);
    const cause = (err as ActivityExecutionFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('Broken');
    const d = await handle.describe();
    expect(d.status).toBe('FAILED');
    expect(d.attempt).toBe(1);
    expect(seen.get(handle.activityId)).toEqual(['ran']);
  });

  it('times out a silent attempt on heartbeat, then retries', async () => {
    const handle = await h.client.activity.start('silentThenOk', {
      id: id(),
      taskQueue,
      startToCloseTimeout: '10s',
      heartbeatTimeout: '1s',
      retry: { initialInterval: '100ms', maximumAttempts: 3 },
    });
    await expect(handle.result()).resolves.toBe('ok on 2');
    const d = await handle.describe({ includeLastFailure: true });
    expect(d.attempt).toBe(2);
    const last = await d.getLastFailure();
    expect(last).toBeInstanceOf(TimeoutFailure);
    expect((last as TimeoutFailure).timeoutType).toBe('HEARTBEAT');
  });

  it('times out on start-to-close', async () => {
    const handle = await h.client.activity.start('tooSlow', { id: id(), taskQueue, startToCloseTimeout: '1s', retry: { maximumAttempts: 1 } });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActivityExecutionFailedError);
    const cause = (err as ActivityExecutionFailedError).cause;
    expect(cause).toBeInstanceOf(TimeoutFailure);
    expect((cause as TimeoutFailure).timeoutType).toBe('START_TO_CLOSE');
    expect((await handle.describe()).status).toBe('TIMED_OUT');
  });

  it('cancels a running activity, which sees it through its heartbeats', async () => {
    const handle = await h.client.activity.start('heartbeatUntilCancelled', { id: id(), taskQueue, startToCloseTimeout: '20s', heartbeatTimeout: '1s' });
    await eventually(async () => (await handle.describe()).runState === 'STARTED');
    await handle.cancel('enough');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActivityExecutionFailedError);
    expect((err as ActivityExecutionFailedError).cause).toBeInstanceOf(CancelledFailure);
    const d = await handle.describe();
    expect(d.status).toBe('CANCELED');
    expect(d.canceledReason).toBe('enough');
    expect(seen.get(handle.activityId)?.some((s) => s.startsWith('cancelled'))).toBe(true);
  });

  it('terminates a running activity', async () => {
    const handle = await h.client.activity.start('heartbeatUntilCancelled', { id: id(), taskQueue, startToCloseTimeout: '20s', heartbeatTimeout: '1s' });
    await eventually(async () => (await handle.describe()).runState === 'STARTED');
    await handle.terminate('stop now');
    const err = await handle.result().catch((e: unknown) => e);
    expect((err as ActivityExecutionFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((await handle.describe()).status).toBe('TERMINATED');
    // The worker's next heartbeat gets NOT_FOUND and core cancels the function.
    await eventually(async () => seen.get(handle.activityId)?.some((s) => s.startsWith('cancelled')));
  });

  it('pauses and unpauses', async () => {
    const idleQueue = `idle-${randomUUID()}`;
    const handle = await h.client.activity.start('greet', { id: id(), taskQueue: idleQueue, startToCloseTimeout: '5s', args: ['paused'] });
    await handle.pause({ reason: 'hold' });
    let d = await handle.describe();
    expect(d.status).toBe('PAUSED');
    expect(d.runState).toBe('PAUSED');
    await eventually(async () => (await h.client.activity.count(`ActivityId = '${handle.activityId}' AND ExecutionStatus = 'Paused'`)).count === 1);
    // A worker arrives while paused: nothing is dispatched to it.
    const w = await runWorker(h.server.address, idleQueue, { async greet(name: string) { return `hello ${name}`; } });
    try {
      await eventually(async () => {
        const d = await h.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: idleQueue }, taskQueueType: 2 });
        return (d.pollers ?? []).length > 0;
      });
      // This sleep is the point: while its worker polls, a paused activity stays undispatched.
      await sleep(500);
      expect((await handle.describe()).status).toBe('PAUSED');
      await handle.unpause();
      await expect(handle.result()).resolves.toBe('hello paused');
      d = await handle.describe();
      expect(d.status).toBe('COMPLETED');
    } finally {
      await w.stop();
    }
  });

  it('pauses a running activity: the worker yields on its heartbeat, and unpause runs it again', async () => {
    const handle = await h.client.activity.start('heartbeatUntilCancelled', {
      id: id(),
      taskQueue,
      startToCloseTimeout: '20s',
      heartbeatTimeout: '1s',
      retry: { initialInterval: '100ms' },
    });
    await eventually(async () => (await handle.describe()).runState === 'STARTED');
    await handle.pause({ reason: 'hold' });
    // PAUSE_REQUESTED until the worker learns it from a heartbeat response and yields.
    await eventually(async () => (await handle.describe()).status === 'PAUSED');
    let d = await handle.describe();
    expect(d.attempt).toBe(2);
    expect(d.runState).toBe('PAUSED');
    await handle.unpause();
    await eventually(async () => {
      const x = await handle.describe();
      return x.runState === 'STARTED' && x.attempt === 2;
    });
    await handle.cancel('done');
    await handle.result().catch(() => undefined);
    d = await handle.describe();
    expect(d.status).toBe('CANCELED');
    expect(seen.get(handle.activityId)?.filter((x) => x === 'started')).toHaveLength(2);
  });

  it('refuses a second start with the same id (ALREADY_EXISTS)', async () => {
    const activityId = id();
    const idleQueue = `idle-${randomUUID()}`;
    const first = await h.client.activity.start('greet', { id: activityId, taskQueue: idleQueue, startToCloseTimeout: '5s', args: ['x'] });
    const err = await h.client.activity.start('greet', { id: activityId, taskQueue: idleQueue, startToCloseTimeout: '5s', args: ['x'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActivityExecutionAlreadyStartedError);
    // USE_EXISTING returns the running one.
    const again = await h.client.activity.start('greet', { id: activityId, taskQueue: idleQueue, startToCloseTimeout: '5s', idConflictPolicy: 'USE_EXISTING' });
    expect(again.runId).toBe(first.runId);
    await first.terminate('cleanup');
  });

  it('completes by id (async completion)', async () => {
    const handle = await h.client.activity.start('completeAsync', { id: id(), taskQueue, startToCloseTimeout: '20s' });
    await eventually(async () => seen.get(handle.activityId)?.includes('started'));
    await h.client.activity.complete({ activityId: handle.activityId }, 'done by id');
    await expect(handle.result()).resolves.toBe('done by id');
  });

  it('lists and counts by status', async () => {
    const q = `list-${randomUUID()}`;
    const w = await runWorker(h.server.address, q, {
      async greet(name: string) {
        return `hello ${name}`;
      },
    });
    try {
      const done = await Promise.all([1, 2, 3].map((i) => h.client.activity.start('greet', { id: id(), taskQueue: q, startToCloseTimeout: '5s', args: [String(i)] })));
      await Promise.all(done.map((d) => d.result()));
    } finally {
      await w.stop();
    }
    const idle = await h.client.activity.start('greet', { id: id(), taskQueue: q, startToCloseTimeout: '5s' });
    await eventually(async () => (await h.client.activity.count(`TaskQueue = '${q}' AND ExecutionStatus = 'Completed'`)).count === 3);
    await eventually(async () => (await h.client.activity.count(`TaskQueue = '${q}' AND ExecutionStatus = 'Running'`)).count === 1);
    const listed = [];
    for await (const a of h.client.activity.list(`TaskQueue = '${q}' AND ExecutionStatus = 'Running'`)) listed.push(a);
    expect(listed.map((a) => a.activityId)).toEqual([idle.activityId]);
    expect(listed[0]?.status).toBe('RUNNING');
    expect(listed[0]?.activityType).toBe('greet');
    const grouped = await h.client.activity.count(`TaskQueue = '${q}' GROUP BY ExecutionStatus`);
    expect(grouped.count).toBe(4);
    // The SDK's search-attribute converter wraps every group value in an array.
    expect((grouped.groups ?? []).map((g) => [g.groupValues?.[0], g.count]).sort()).toEqual([
      [['Completed'], 3],
      [['Running'], 1],
    ]);
    await idle.terminate('cleanup');
  });
});
