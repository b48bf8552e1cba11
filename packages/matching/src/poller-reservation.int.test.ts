import { systemClock, type Database } from '@chasm/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalMatchingService } from './local-matching-service.js';
import { testDialects, type ReopenableDatabase } from './testing/test-stores.js';
import type { PollRequest, TaskQueueRef } from './types.js';

const NS = 'ns-reserve';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const logger = pino({ level: 'silent' });

/**
 * `reservePoller` (ADR 0040): a waiting poller taken for a task its caller starts in its own
 * commit, then answered with `deliver` or put back with `release`.
 */
describe.each(testDialects())('poller reservations on $name', (dialect) => {
  let store: ReopenableDatabase;
  let database: Database;
  let svc: LocalMatchingService;
  let metrics: Registry;
  const controllers: AbortController[] = [];

  beforeAll(async () => {
    store = await dialect.create();
    database = await store.open();
    metrics = new Registry();
    svc = new LocalMatchingService(database, systemClock, logger, metrics);
    await svc.start();
  });
  afterEach(() => {
    for (const c of controllers.splice(0)) c.abort();
  });
  afterAll(async () => {
    await svc.stop();
    await database.close();
    await store.dispose();
  });

  let seq = 0;
  const normal = (): TaskQueueRef => ({ name: `rq-${++seq}-${Math.random().toString(36).slice(2, 8)}`, kind: 'normal' });
  const poll = (queue: TaskQueueRef, opts: { identity?: string; deadlineMs?: number; accept?: PollRequest['accept'] } = {}) => {
    const c = new AbortController();
    controllers.push(c);
    const p = svc.poll(
      { namespaceId: NS, taskQueue: queue, type: 'workflow', identity: opts.identity ?? 'worker-1', ...(opts.accept ? { accept: opts.accept } : {}) },
      c.signal,
      new Date(Date.now() + (opts.deadlineMs ?? 30_000)),
    );
    return { p, abort: () => c.abort() };
  };
  const reserve = (queue: TaskQueueRef) => svc.reservePoller({ namespaceId: NS, taskQueue: queue, type: 'workflow' });
  /** Resolves once `identity`'s poll on the queue is waiting (a first poll records its poller as it starts). */
  const waiting = (queue: TaskQueueRef, identity: string) =>
    expect
      .poll(async () => (await svc.describeTaskQueue({ namespaceId: NS, name: queue.name, type: 'workflow', kind: queue.kind })).pollers.map((p) => p.identity), {
        interval: 5,
        timeout: 10_000,
      })
      .toContain(identity);
  const outcomes = async (): Promise<Record<string, number>> => {
    const m = await metrics.getSingleMetric('poller_reservations')!.get();
    const out: Record<string, number> = {};
    for (const v of m.values) out[String(v.labels['outcome'])] = (out[String(v.labels['outcome'])] ?? 0) + v.value;
    return out;
  };

  it('without a waiting poller there is nothing to reserve, and no queue is loaded or created for it', async () => {
    const q = normal();
    expect(await reserve(q)).toBeUndefined();
    expect(await svc.reservePoller({ namespaceId: NS, taskQueue: { name: `sticky-${seq}`, kind: 'sticky', normalName: q.name }, type: 'workflow' })).toBeUndefined();
    const rows = await sql<{ n: number }>`select count(*)::int as n from task_queues where name = ${q.name}`.execute(database.db);
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('delivers the prepared task to the reserved poll without its accept hook and without the backlog', async () => {
    const q = normal();
    let accepted = 0;
    const { p } = poll(q, { identity: 'worker-a', accept: async () => (accepted++, 'accepted') });
    await waiting(q, 'worker-a');
    const r = await reserve(q);
    expect(r?.identity).toBe('worker-a');
    expect(r?.alive).toBe(true);
    // While reserved, the poller takes nothing else: a task added now goes to the backlog.
    expect((await svc.addTask({ namespaceId: NS, taskQueue: q, type: 'workflow', payload: enc('other') })).outcome).toBe('spooled');
    expect(r!.deliver({ payload: enc('mine'), prepared: { answer: 42 } })).toBe(true);
    const task = await p;
    expect(task && dec(task.payload)).toBe('mine');
    expect(task?.prepared).toEqual({ answer: 42 });
    expect(task?.syncMatched).toBe(true);
    expect(accepted).toBe(0);
    // Exactly one of deliver / release: a second call does nothing.
    expect(r!.deliver({ payload: enc('again'), prepared: {} })).toBe(false);
    // The spooled task goes to the next poll.
    const next = await poll(q).p;
    expect(next && dec(next.payload)).toBe('other');
  });

  it('a released poller is back at the head of the line and takes the next task', async () => {
    const q = normal();
    const { p } = poll(q, { identity: 'worker-b' });
    await waiting(q, 'worker-b');
    const r = await reserve(q);
    expect(r).toBeDefined();
    expect(await reserve(q)).toBeUndefined(); // the only poller is taken
    r!.release();
    expect((await svc.addTask({ namespaceId: NS, taskQueue: q, type: 'workflow', payload: enc('t') })).outcome).toBe('sync-matched');
    expect(dec((await p)!.payload)).toBe('t');
  });

  it('a poll whose client left while reserved is not delivered to, and ends empty', async () => {
    const q = normal();
    const { p, abort } = poll(q, { identity: 'worker-c' });
    await waiting(q, 'worker-c');
    const before = (await outcomes())['lost'] ?? 0;
    const r = await reserve(q);
    abort();
    expect(r?.alive).toBe(false);
    expect(r!.deliver({ payload: enc('x'), prepared: {} })).toBe(false);
    expect(await p).toBeUndefined();
    expect((await outcomes())['lost']).toBe(before + 1);
  });

  it('a poll about to answer empty is not reserved', async () => {
    const q = normal();
    // 2.5 s to the caller's deadline: the poll answers at least a second before it, under the 2 s a reservation needs.
    const { p } = poll(q, { identity: 'worker-d', deadlineMs: 2_500 });
    await waiting(q, 'worker-d');
    expect(await reserve(q)).toBeUndefined();
    expect(await p).toBeUndefined();
  });

  it('a sticky queue shut down while its poller is reserved reports the task undelivered', async () => {
    const sticky: TaskQueueRef = { name: `worker-e-${Math.random().toString(36).slice(2)}`, kind: 'sticky', normalName: 'wf-q' };
    const { p } = poll(sticky, { identity: 'worker-e' });
    await waiting(sticky, 'worker-e');
    const r = await reserve(sticky);
    expect(r?.identity).toBe('worker-e');
    await svc.shutdownWorker({ namespaceId: NS, stickyQueue: sticky.name });
    expect(await p).toBeUndefined();
    expect(r!.alive).toBe(false);
    expect(r!.deliver({ payload: enc('x'), prepared: {} })).toBe(false);
  });
});
