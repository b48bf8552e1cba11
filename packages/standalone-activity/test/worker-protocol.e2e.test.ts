import { randomUUID } from 'node:crypto';
import { encodeRef } from '@chasm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTaskToken, decodeTaskToken } from '../src/index.js';
import { e2eDialects, startHarness, type Harness } from './helpers.js';

/** gRPC status codes (numbers, as grpc-js reports them). */
const status = { INVALID_ARGUMENT: 3, NOT_FOUND: 5 } as const;
/** A Duration for a raw request (int64 seconds are Long in the typings; numbers encode fine). */
const secs = (n: number): never => ({ seconds: n }) as never;

/**
 * The worker-facing RPCs spoken directly (no SDK worker): the poll response fields the TS worker
 * requires, priority reaching matching, and task-token validation.
 */
describe.each(e2eDialects())('standalone activity worker protocol ($name)', (dialect) => {
  let dropDb: (() => Promise<void>) | undefined;
  let h: Harness;
  beforeAll(async () => {
    const db = await dialect.open();
    dropDb = db.drop;
    h = await startHarness({ namespaces: ['default', 'other'], database: db.config });
  });
  afterAll(async () => {
    await h?.close();
    await dropDb?.();
  });

  const codeOf = async (p: Promise<unknown>): Promise<number | undefined> =>
    p.then(
      () => undefined,
      (e: unknown) => (e as { code?: number }).code,
    );

  async function startAndPoll(opts: { priorityKey?: number; fairnessKey?: string } = {}) {
    const taskQueue = `proto-${randomUUID()}`;
    const handle = await h.client.activity.start('work', {
      id: `p-${randomUUID()}`,
      taskQueue,
      scheduleToCloseTimeout: '30s',
      startToCloseTimeout: '10s',
      heartbeatTimeout: '5s',
      args: ['in'],
      ...(opts.priorityKey !== undefined ? { priority: { priorityKey: opts.priorityKey, fairnessKey: opts.fairnessKey ?? '' } } : {}),
    });
    const ws = h.client.workflowService;
    const task = await ws.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'test-poller' });
    return { handle, task, taskQueue };
  }

  it('answers a poll with every field the TS worker requires', async () => {
    const { handle, task } = await startAndPoll();
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(task.activityId).toBe(handle.activityId);
    expect(task.activityRunId).toBe(handle.runId);
    expect(task.activityType?.name).toBe('work');
    expect(task.workflowNamespace).toBe('default');
    expect(task.attempt).toBe(1);
    expect(task.scheduledTime?.seconds?.toNumber()).toBeGreaterThan(0);
    expect(task.currentAttemptScheduledTime?.seconds?.toNumber()).toBeGreaterThan(0);
    expect(task.startedTime?.seconds?.toNumber()).toBeGreaterThan(0);
    expect(task.startToCloseTimeout?.seconds?.toNumber()).toBe(10);
    expect(task.scheduleToCloseTimeout?.seconds?.toNumber()).toBe(30);
    expect(task.heartbeatTimeout?.seconds?.toNumber()).toBe(5);
    expect(task.retryPolicy?.initialInterval?.seconds?.toNumber()).toBe(1);
    expect(task.input?.payloads).toHaveLength(1);
    const d = await handle.describe();
    expect(d.runState).toBe('STARTED');
    expect(d.lastWorkerIdentity).toBe('test-poller');
    await h.client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'test-poller' });
    expect((await handle.describe()).status).toBe('COMPLETED');
  });

  it('starts the first attempt for a poller already waiting, in the start commit (ADR 0042)', async () => {
    const ws = h.client.workflowService;
    const taskQueue = `handoff-${randomUUID()}`;
    const polled = ws.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'waiting-poller' });
    const pollers = async (): Promise<string[]> =>
      ((await ws.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2 })).pollers ?? []).map((p) => p.identity ?? '');
    await expect.poll(pollers, { interval: 20, timeout: 5_000 }).toEqual(['waiting-poller']);
    const handle = await h.client.activity.start('work', { id: `h-${randomUUID()}`, taskQueue, startToCloseTimeout: '10s', args: ['in'] });
    // Started by the start's own commit: one transition, and already STARTED when the start returns.
    const d = await handle.describe();
    expect(d.runState).toBe('STARTED');
    expect(d.lastWorkerIdentity).toBe('waiting-poller');
    expect(d.rawInfo.stateTransitionCount?.toString()).toBe('1');
    const task = await polled;
    expect(task.activityId).toBe(handle.activityId);
    expect(task.activityRunId).toBe(handle.runId);
    expect(task.workflowNamespace).toBe('default');
    expect(task.attempt).toBe(1);
    expect(task.startedTime?.seconds?.toNumber()).toBeGreaterThan(0);
    expect(task.startToCloseTimeout?.seconds?.toNumber()).toBe(10);
    expect(task.input?.payloads).toHaveLength(1);
    await ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'waiting-poller' });
    expect((await handle.describe()).status).toBe('COMPLETED');
  });

  it('hands the start request priority and fairness key to matching', async () => {
    const taskQueue = `prio-${randomUUID()}`;
    await h.client.activity.start('work', { id: `p-${randomUUID()}`, taskQueue, startToCloseTimeout: '10s', priority: { priorityKey: 2, fairnessKey: 'tenant-a' } });
    // No poller yet: the task waits in the backlog under priority key 2 (once the start's task reaches matching).
    const backlogKeys = async (): Promise<string[]> => {
      const q = await h.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2, reportStats: true });
      return Object.entries(q.statsByPriorityKey ?? {})
        .filter(([, s]) => Number(s.approximateBacklogCount ?? 0) > 0)
        .map(([k]) => k);
    };
    await expect.poll(backlogKeys, { interval: 20, timeout: 5_000 }).toEqual(['2']);
    const task = await h.client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 't' });
    expect(task.priority?.priorityKey).toBe(2);
    expect(task.priority?.fairnessKey).toBe('tenant-a');
  });

  it('refuses garbage, forged, stale and other-namespace tokens', async () => {
    const ws = h.client.workflowService;
    const { task } = await startAndPoll();
    const token = decodeTaskToken(task.taskToken);

    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: Buffer.from('garbage') }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: Buffer.alloc(0) }))).toBe(status.INVALID_ARGUMENT);
    // A ref smuggled into another archetype's execution is not an activity token.
    const otherArchetype = encodeTaskToken({ ...token, ref: { ...token.ref, archetype: 'tests.store' } });
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: otherArchetype }))).toBe(status.INVALID_ARGUMENT);
    // A raw ref is not a task token either.
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: encodeRef(token.ref) }))).toBe(status.INVALID_ARGUMENT);
    // The token's namespace must be the request's.
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'other', taskToken: task.taskToken }))).toBe(status.INVALID_ARGUMENT);
    // Forged: an activity that does not exist, or the wrong attempt/stamp of a real one.
    const missing = encodeTaskToken({ ...token, ref: { ...token.ref, businessId: 'nope', runId: randomUUID() } });
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: missing }))).toBe(status.NOT_FOUND);
    const wrongAttempt = encodeTaskToken({ ...token, attempt: token.attempt + 1 });
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: wrongAttempt }))).toBe(status.NOT_FOUND);
    const wrongStamp = encodeTaskToken({ ...token, stamp: token.stamp + 7 });
    expect(await codeOf(ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: wrongStamp }))).toBe(status.NOT_FOUND);

    // The real token works once; afterwards it is stale.
    const hb = await ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: task.taskToken });
    expect(hb.cancelRequested).toBe(false);
    await ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken });
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken }))).toBe(status.NOT_FOUND);
    expect(await codeOf(ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: task.taskToken }))).toBe(status.NOT_FOUND);
  });

  it('reports cancel and pause requests in the heartbeat response', async () => {
    const ws = h.client.workflowService;
    const a = await startAndPoll();
    await a.handle.pause();
    expect((await a.handle.describe()).runState).toBe('PAUSE_REQUESTED');
    expect((await ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: a.task.taskToken })).activityPaused).toBe(true);
    await a.handle.unpause();
    expect((await a.handle.describe()).runState).toBe('STARTED');
    await a.handle.cancel('why');
    const hb = await ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: a.task.taskToken });
    expect(hb.cancelRequested).toBe(true);
    await ws.respondActivityTaskCanceled({ namespace: 'default', taskToken: a.task.taskToken });
    expect((await a.handle.describe()).status).toBe('CANCELED');
  });

  it('long-polls Describe on its state token', async () => {
    const taskQueue = `lp-${randomUUID()}`;
    const handle = await h.client.activity.start('work', { id: `lp-${randomUUID()}`, taskQueue, startToCloseTimeout: '10s' });
    const runId = handle.runId ?? '';
    const ws = h.client.workflowService;
    const first = await ws.describeActivityExecution({ namespace: 'default', activityId: handle.activityId, runId });
    expect(first.longPollToken?.length).toBeGreaterThan(0);
    const started = Date.now();
    const waiting = ws.describeActivityExecution({ namespace: 'default', activityId: handle.activityId, runId, longPollToken: first.longPollToken });
    // This sleep is the point of the test: nothing changes for 300 ms, so the long poll must not
    // answer before the terminate (checked below through the elapsed time).
    await new Promise((r) => setTimeout(r, 300));
    await handle.terminate('x');
    const next = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(next.info?.status).toBe(5); // TERMINATED
    // A token from another execution, or a garbled one, is INVALID_ARGUMENT; a token needs a run id.
    expect(await codeOf(ws.describeActivityExecution({ namespace: 'default', activityId: 'other', runId, longPollToken: first.longPollToken }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ws.describeActivityExecution({ namespace: 'default', activityId: handle.activityId, runId, longPollToken: Buffer.from('x') }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ws.describeActivityExecution({ namespace: 'default', activityId: handle.activityId, longPollToken: first.longPollToken }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ws.describeActivityExecution({ namespace: 'default', activityId: 'missing' }))).toBe(status.NOT_FOUND);
  });

  it('validates and normalises the start request', async () => {
    const ws = h.client.workflowService;
    const base = { namespace: 'default', activityType: { name: 'work' }, taskQueue: { name: 'q' }, requestId: randomUUID() };
    expect(await codeOf(ws.startActivityExecution({ ...base, activityId: 'no-timeouts' }))).toBe(status.INVALID_ARGUMENT);
    expect(await codeOf(ws.startActivityExecution({ ...base, activityId: '', startToCloseTimeout: secs(1) }))).toBe(status.INVALID_ARGUMENT);
    expect(
      await codeOf(ws.startActivityExecution({ ...base, activityId: 'bad-retry', startToCloseTimeout: secs(1), retryPolicy: { backoffCoefficient: 0.5 } })),
    ).toBe(status.INVALID_ARGUMENT);
    const id = `norm-${randomUUID()}`;
    const r = await ws.startActivityExecution({ ...base, activityId: id, scheduleToCloseTimeout: secs(10), startToCloseTimeout: secs(60), heartbeatTimeout: secs(90) });
    expect(r.started).toBe(true);
    // Same request id again: the same run, not started again.
    const again = await ws.startActivityExecution({ ...base, activityId: id, scheduleToCloseTimeout: secs(10) });
    expect(again.runId).toBe(r.runId);
    expect(again.started).toBe(false);
    const d = await h.client.activity.getHandle(id).describe();
    expect(d.scheduleToStartTimeoutMs).toBe(10_000);
    expect(d.startToCloseTimeoutMs).toBe(10_000);
    expect(d.heartbeatTimeoutMs).toBe(10_000);
    expect(d.retryPolicy).toMatchObject({ initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 100_000 });
    // Delete: gone afterwards.
    await ws.deleteActivityExecution({ namespace: 'default', activityId: id });
    expect(await codeOf(ws.describeActivityExecution({ namespace: 'default', activityId: id }))).toBe(status.NOT_FOUND);
  });

  it('updates options and restores the originals', async () => {
    const handle = await h.client.activity.start('work', { id: `u-${randomUUID()}`, taskQueue: `u-${randomUUID()}`, startToCloseTimeout: '10s', heartbeatTimeout: '2s' });
    const updated = await handle.updateOptions({ startToCloseTimeout: '20s', retry: { initialInterval: '3s', maximumAttempts: 4 } });
    expect(updated.startToCloseTimeout).toBe(20_000);
    expect(updated.retry).toMatchObject({ initialInterval: 3000, maximumAttempts: 4 });
    let d = await handle.describe();
    expect(d.startToCloseTimeoutMs).toBe(20_000);
    expect(d.heartbeatTimeoutMs).toBe(2_000);
    const restored = await handle.restoreOriginalOptions();
    expect(restored.startToCloseTimeout).toBe(10_000);
    d = await handle.describe();
    expect(d.retryPolicy?.maximumAttempts ?? 0).toBe(0);
    await handle.terminate('done');
    const err = await handle.updateOptions({ startToCloseTimeout: '5s' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });

  it('resets a running attempt once the worker yields', async () => {
    const ws = h.client.workflowService;
    const a = await startAndPoll();
    await ws.resetActivityExecution({ namespace: 'default', activityId: a.handle.activityId, requestId: randomUUID() });
    expect((await ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: a.task.taskToken })).activityReset).toBe(true);
    // The worker yields (fails the attempt): back to attempt 1, dispatched again.
    await ws.respondActivityTaskFailed({ namespace: 'default', taskToken: a.task.taskToken, failure: { message: 'reset' } });
    const again = await ws.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: a.taskQueue }, identity: 't' });
    expect(again.attempt).toBe(1);
    expect(again.activityId).toBe(a.handle.activityId);
  });
});
