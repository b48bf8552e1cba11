import { asComponent, type ComponentRef, type MutableContext } from '@chasm/core';
import { createTestEngine, type TestEngine } from '@chasm/core/testing';
import { type AddTaskRequest, type MatchingService, decodeFailure } from '@chasm/matching';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStandaloneActivityLibrary } from '../library.js';
import { Activity, originalOptionsOf, type ActivityComponent } from './activity.js';
import { normalizeOptions } from './activity-options.js';
import { attemptFailureOf, newActivityState, pause, recordStarted, requestCancel, reset, respondCompleted, respondFailed, unpause } from './activity-ops.js';
import { decodeActivityTaskInfo } from './activity.tasks.js';
import { onCreated } from './activity.transitions.js';

/**
 * The state machine on the in-memory engine with a manual clock: dispatch, timers and retries.
 * Matching is a fake that records what was dispatched; "polling" applies Started like the
 * PollActivityTaskQueue accept hook does.
 */
describe('activity state machine (in-memory engine, manual clock)', () => {
  let t: TestEngine;
  let dispatched: AddTaskRequest[];
  const ns = 'ns';

  beforeEach(async () => {
    dispatched = [];
    const matching = { addTask: async (req: AddTaskRequest) => (dispatched.push(req), { outcome: 'spooled' as const }) } as unknown as MatchingService;
    t = await createTestEngine({ libraries: [createStandaloneActivityLibrary({ matching })] });
  });
  afterEach(() => t.stop());

  async function start(id: string, req: Parameters<typeof normalizeOptions>[0]): Promise<ComponentRef> {
    const options = normalizeOptions({ taskQueue: { name: 'q' }, ...req }, { activityId: id, activityType: 'work' }, 1000);
    const r = await t.engine.start(Activity, { namespaceId: ns, businessId: id }, {
      init: (ctx) => newActivityState({ activityId: id, activityType: 'work', options, identity: 'me', now: ctx.now.getTime() }),
      run: (root, ctx) => onCreated(root, ctx),
      requestId: `${id}-start`,
    });
    await t.drain();
    return r.ref;
  }
  const update = <T>(ref: ComponentRef, fn: (a: ActivityComponent, ctx: MutableContext) => T): Promise<T> =>
    t.engine.update(ref, (c, ctx) => fn(asComponent(c, Activity), ctx)).then((r) => r.output);
  const state = (ref: ComponentRef) => t.engine.read(ref, (c) => asComponent(c, Activity).state);
  /** Takes the latest dispatched task and applies Started, like a poller's accept hook. */
  async function pollLatest(): Promise<{ ref: ComponentRef; stamp: number; attempt: number } | 'stale'> {
    const info = decodeActivityTaskInfo(dispatched.at(-1)!.payload)!;
    const r = await update(info.ref, (a, ctx) => recordStarted(a, ctx, info.stamp, { identity: 'w', sdkName: '', sdkVersion: '' }));
    return r === 'stale' ? 'stale' : { ref: info.ref, stamp: info.stamp, attempt: (await state(info.ref)).attempt };
  }
  // int64 seconds are Long in the typings; numbers decode the same.
  const secs = (n: number): never => ({ seconds: n, nanos: 0 }) as never;
  const appFailure = (nonRetryable = false) => ({ message: 'boom', applicationFailureInfo: { type: 'Boom', nonRetryable } });

  it('dispatches once with the priority, and a stale dispatch is refused by the accept hook', async () => {
    const ref = await start('a1', { startToCloseTimeout: secs(10), priority: { priorityKey: 2, fairnessKey: 'tenant' } });
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]).toMatchObject({ namespaceId: ns, taskQueue: { name: 'q', kind: 'normal' }, type: 'activity', priority: { priorityKey: 2, fairnessKey: 'tenant' } });
    const first = await pollLatest();
    expect(first).not.toBe('stale');
    // The same task delivered twice (e.g. re-dispatched after a crash) is stale the second time.
    expect(await pollLatest()).toBe('stale');
    expect((await state(ref)).status).toBe('started');
  });

  it('retries with policy backoff, then gives up at maximum attempts', async () => {
    const ref = await start('a2', { startToCloseTimeout: secs(10), retryPolicy: { initialInterval: secs(1), maximumAttempts: 2 } as never });
    const p1 = await pollLatest();
    if (p1 === 'stale') throw new Error('stale');
    await update(ref, (a, ctx) => respondFailed(a, ctx, p1, appFailure(), null));
    let s = await state(ref);
    expect(s.status).toBe('scheduled');
    expect(s.attempt).toBe(2);
    expect(dispatched).toHaveLength(1); // the retry waits for its backoff
    await t.advance(999);
    expect(dispatched).toHaveLength(1);
    await t.advance(1);
    expect(dispatched).toHaveLength(2);
    const p2 = await pollLatest();
    if (p2 === 'stale') throw new Error('stale');
    // The old attempt's token no longer applies.
    await expect(update(ref, (a, ctx) => respondCompleted(a, ctx, p1, null))).rejects.toThrow(/activity task not found/);
    await update(ref, (a, ctx) => respondFailed(a, ctx, p2, appFailure(), null));
    s = await state(ref);
    expect(s.status).toBe('failed');
    expect(s.outcome?.retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
  });

  it('honours the worker next_retry_delay and non-retryable types', async () => {
    const ref = await start('a3', { startToCloseTimeout: secs(10), retryPolicy: { nonRetryableErrorTypes: ['Fatal'] } });
    const p1 = await pollLatest();
    if (p1 === 'stale') throw new Error('stale');
    await update(ref, (a, ctx) => respondFailed(a, ctx, p1, { message: 'later', applicationFailureInfo: { type: 'X', nextRetryDelay: secs(7) as never } }, null));
    expect((await state(ref)).retryIntervalMs).toBe(7000);
    await t.advance(7000);
    const p2 = await pollLatest();
    if (p2 === 'stale') throw new Error('stale');
    await update(ref, (a, ctx) => respondFailed(a, ctx, p2, { message: 'no', applicationFailureInfo: { type: 'Fatal' } }, null));
    const s = await state(ref);
    expect(s.status).toBe('failed');
    expect(s.outcome?.retryState).toBe('NON_RETRYABLE_FAILURE');
    expect(attemptFailureOf(undefined).failure.message).toBe('activity task failed without failure details');
  });

  it('times out start-to-close and heartbeat attempts; heartbeats re-arm the timer', async () => {
    const ref = await start('a4', { startToCloseTimeout: secs(10), heartbeatTimeout: secs(2), retryPolicy: { initialInterval: secs(1) } });
    const p1 = await pollLatest();
    if (p1 === 'stale') throw new Error('stale');
    await t.advance(1500);
    await update(ref, (a, ctx) => {
      a.state.lastHeartbeatTime = ctx.now.getTime();
    });
    await t.advance(1000); // 2.5 s after start: the heartbeat at 1.5 s keeps it alive
    expect((await state(ref)).status).toBe('started');
    await t.advance(1100); // 3.6 s: 2.1 s since the last heartbeat
    let s = await state(ref);
    expect(s.status).toBe('scheduled');
    expect(s.attempt).toBe(2);
    expect(decodeFailure(s.lastFailure)?.timeoutFailureInfo?.timeoutType).toBe(4); // HEARTBEAT
    await t.advance(1000);
    await pollLatest();
    await t.advance(10_000);
    s = await state(ref);
    expect(s.attempt).toBe(3);
    expect(decodeFailure(s.lastFailure)?.message).toBe('activity Heartbeat timeout');
  });

  it('times out on schedule-to-start (not retried) and schedule-to-close', async () => {
    const r1 = await start('a5', { startToCloseTimeout: secs(10), scheduleToStartTimeout: secs(3) });
    expect(dispatched[0]?.scheduleToStartExpiry).toBeInstanceOf(Date);
    await t.advance(3000);
    let s = await state(r1);
    expect(s.status).toBe('timedOut');
    expect(s.outcome?.retryState).toBe('TIMEOUT');
    expect(decodeFailure(s.outcome?.failure)?.message).toBe('activity ScheduleToStart timeout');

    const r2 = await start('a6', { scheduleToCloseTimeout: secs(5), retryPolicy: { initialInterval: secs(1) } });
    const p = await pollLatest();
    if (p === 'stale') throw new Error('stale');
    await t.advance(4500);
    // A retry that cannot start before the schedule-to-close deadline gives up with TIMEOUT.
    await update(r2, (a, ctx) => respondFailed(a, ctx, p, appFailure(), null));
    s = await state(r2);
    expect(s.status).toBe('failed');
    expect(s.outcome?.retryState).toBe('TIMEOUT');
  });

  it('pauses and unpauses: a paused activity is not dispatched, schedule-to-close keeps running', async () => {
    const ref = await start('a7', { startToCloseTimeout: secs(10), scheduleToCloseTimeout: secs(60) });
    await update(ref, (a, ctx) => pause(a, ctx, { requestId: 'p1' }));
    expect(await pollLatest()).toBe('stale');
    expect((await state(ref)).status).toBe('paused');
    await update(ref, (a, ctx) => unpause(a, ctx, { requestId: 'u1', jitterMs: 0 }));
    await t.drain();
    expect(dispatched).toHaveLength(2);
    expect((await state(ref)).status).toBe('scheduled');
    await update(ref, (a, ctx) => pause(a, ctx, { requestId: 'p2' }));
    await t.advance(60_000);
    expect((await state(ref)).status).toBe('timedOut');
  });

  it('cancels at once when nothing runs; resets back to attempt 1', async () => {
    const r1 = await start('a8', { startToCloseTimeout: secs(10) });
    await update(r1, (a, ctx) => requestCancel(a, ctx, { requestId: 'c', reason: 'why', identity: 'me' }));
    expect((await state(r1)).status).toBe('canceled');
    // Idempotent by request id, even after close.
    await update(r1, (a, ctx) => requestCancel(a, ctx, { requestId: 'c', reason: 'why', identity: 'me' }));

    const r2 = await start('a9', { startToCloseTimeout: secs(10), retryPolicy: { initialInterval: secs(100) } });
    const p = await pollLatest();
    if (p === 'stale') throw new Error('stale');
    await update(r2, (a, ctx) => respondFailed(a, ctx, p, appFailure(), null));
    expect((await state(r2)).attempt).toBe(2);
    await update(r2, (a, ctx) => reset(a, ctx, { requestId: 'r', keepPaused: false, resetHeartbeat: true, restoreOriginal: false, jitterMs: 0 }));
    await t.drain();
    const s = await state(r2);
    expect(s.attempt).toBe(1);
    expect(s.status).toBe('scheduled');
    expect(dispatched).toHaveLength(3); // a8, a9 attempt 1, a9 after reset (the backoff dispatch went stale)
  });

  it('keeps no copy of unchanged options; a version-1 state with its copy still restores from it', async () => {
    const ref = await start('a10', { startToCloseTimeout: secs(10) });
    const s = await state(ref);
    expect(s.originalOptions).toBeNull();
    expect(originalOptionsOf(s)).toEqual(s.options);
    const reset10 = { keepPaused: false, resetHeartbeat: false, restoreOriginal: true, jitterMs: 0 };
    await update(ref, (a, ctx) => reset(a, ctx, { requestId: 'r10', ...reset10 }));
    expect((await state(ref)).options.startToCloseMs).toBe(10_000);

    // Version 1 always stored the copy; options changed since then are restored from it.
    const v1 = { ...s, options: { ...s.options, startToCloseMs: 20_000 }, originalOptions: { ...s.options } };
    const migrated = Activity.migrate!(structuredClone(v1), 1);
    expect(originalOptionsOf(migrated).startToCloseMs).toBe(10_000);
    await update(ref, (a) => Object.assign(a.state, migrated));
    await update(ref, (a, ctx) => reset(a, ctx, { requestId: 'r11', ...reset10 }));
    const after = await state(ref);
    expect(after.options.startToCloseMs).toBe(10_000);
    expect(after.options).not.toBe(after.originalOptions);
  });
});
