import { systemClock, InvalidArgumentError, type Database } from '@chasm/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { StickyWorkerUnavailableError, TaskQueueOwnershipLostError } from './errors.js';
import { LocalMatchingService } from './local-matching-service.js';
import { testDialects, type ReopenableDatabase } from './testing/test-stores.js';
import type { AddTaskRequest, PolledTask, PollRequest, TaskPriority, TaskType } from './types.js';

const NS = 'ns-1';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const logger = pino({ level: 'silent' });

describe.each(testDialects())('matching on $name', (dialect) => {
  let store: ReopenableDatabase;
  let database: Database;
  let svc: LocalMatchingService;
  const controllers: AbortController[] = [];

  async function startService(): Promise<LocalMatchingService> {
    database = await store.open();
    svc = new LocalMatchingService(database, systemClock, logger, new Registry());
    await svc.start();
    return svc;
  }
  async function stopService(): Promise<void> {
    await svc.stop();
    await database.close();
  }

  // One database per dialect (each test uses its own queues); restarts reopen the same data.
  beforeAll(async () => {
    store = await dialect.create();
    await startService();
  });
  afterEach(() => {
    for (const c of controllers.splice(0)) c.abort();
  });
  afterAll(async () => {
    await stopService();
    await store.dispose();
  });

  let queueSeq = 0;
  const newQueue = (): string => `q-${++queueSeq}-${Math.random().toString(36).slice(2, 8)}`;
  const add = (queue: string, payload: string, extra: Partial<AddTaskRequest> = {}, type: TaskType = 'activity') =>
    svc.addTask({ namespaceId: NS, taskQueue: { name: queue, kind: 'normal' }, type, payload: enc(payload), ...extra });
  const poll = (queue: string, opts: { deadlineMs?: number; type?: TaskType; req?: Partial<PollRequest> } = {}) => {
    const c = new AbortController();
    controllers.push(c);
    const deadline = new Date(Date.now() + (opts.deadlineMs ?? 10_000));
    return svc.poll(
      { namespaceId: NS, taskQueue: { name: queue, kind: 'normal' }, type: opts.type ?? 'activity', identity: 'worker-1', ...opts.req },
      c.signal,
      deadline,
    );
  };
  const drain = async (queue: string, n: number): Promise<PolledTask[]> => {
    const out: PolledTask[] = [];
    for (let i = 0; i < n; i++) {
      const t = await poll(queue, { deadlineMs: 5_000 });
      if (!t) throw new Error(`poll ${i} returned empty`);
      out.push(t);
    }
    return out;
  };
  /**
   * Resolves once `identity` has polled the queue. A poll records its poller as it starts waiting,
   * so for an identity that has not polled this queue before, this means its poll is waiting now.
   */
  const pollerSeen = (queue: string, identity: string, opts: { type?: TaskType; kind?: 'normal' | 'sticky' } = {}) =>
    expect
      .poll(
        async () =>
          (await svc.describeTaskQueue({ namespaceId: NS, name: queue, type: opts.type ?? 'activity', kind: opts.kind ?? 'normal' })).pollers.map(
            (p) => p.identity,
          ),
        { interval: 5, timeout: 10_000 },
      )
      .toContain(identity);
  const backlogRows = async (queue: string): Promise<number> => {
    const r = await sql<{ n: number }>`select count(*)::int as n from task_queue_tasks where queue_name = ${queue}`.execute(
      database.db,
    );
    return Number(r.rows[0]?.n ?? 0);
  };

  it('sync-matches a task to a poll that was already waiting, without touching the backlog', async () => {
    const q = newQueue();
    const polled = poll(q);
    await pollerSeen(q, 'worker-1');
    const result = await add(q, 'hello');
    expect(result.outcome).toBe('sync-matched');
    const t = await polled;
    expect(t && dec(t.payload)).toBe('hello');
    expect(t?.syncMatched).toBe(true);
    expect(await backlogRows(q)).toBe(0);
  });

  it('delivers every backlogged task once polls start', async () => {
    const q = newQueue();
    const payloads = Array.from({ length: 50 }, (_, i) => `t${i}`);
    const results = await Promise.all(payloads.map((p) => add(q, p)));
    expect(results.every((r) => r.outcome === 'spooled')).toBe(true);
    const got = await drain(q, 50);
    expect(got.map((t) => dec(t.payload)).sort()).toEqual([...payloads].sort());
    expect(got.every((t) => !t.syncMatched)).toBe(true);
    // Acks are deleted in batches shortly after dispatch.
    await expect.poll(() => backlogRows(q), { timeout: 5_000 }).toBe(0);
  });

  it('resumes dispatch of the backlog after a restart', async () => {
    const q = newQueue();
    const payloads = Array.from({ length: 30 }, (_, i) => `r${i}`);
    for (const p of payloads) expect((await add(q, p)).outcome).toBe('spooled');
    await stopService();
    await startService();
    const got = await drain(q, 30);
    expect(got.map((t) => dec(t.payload)).sort()).toEqual([...payloads].sort());
    expect(await poll(q, { deadlineMs: 2_200 })).toBeUndefined();
  });

  it('dispatches a priority-1 task ahead of a backlog of 100 priority-5 tasks', async () => {
    const q = newQueue();
    await Promise.all(Array.from({ length: 100 }, (_, i) => add(q, `low${i}`, { priority: { priorityKey: 5 } })));
    await add(q, 'urgent', { priority: { priorityKey: 1 } });
    const first = await poll(q);
    expect(first && dec(first.payload)).toBe('urgent');
    expect(first?.priority.priorityKey).toBe(1);
    const next = await poll(q);
    expect(next?.priority.priorityKey).toBe(5);
  });

  it('shares dispatch by fairness weight, and a late key gets its fair share at once', async () => {
    const q = newQueue();
    const A: TaskPriority = { fairnessKey: 'A', fairnessWeight: 1 };
    const B: TaskPriority = { fairnessKey: 'B', fairnessWeight: 3 };
    // In waves below the append back-pressure threshold (250 outstanding appends per queue).
    for (let wave = 0; wave < 3; wave++) {
      const adds: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i++) adds.push(add(q, `A${wave * 100 + i}`, { priority: A }));
      for (let i = 0; i < 100; i++) adds.push(add(q, `B${wave * 100 + i}`, { priority: B }));
      await Promise.all(adds);
    }
    const first = await drain(q, 200);
    const bShare = first.filter((t) => t.priority.fairnessKey === 'B').length / 200;
    expect(bShare).toBeGreaterThanOrEqual(0.7);
    expect(bShare).toBeLessThanOrEqual(0.8);

    await add(q, 'C0', { priority: { fairnessKey: 'C' } });
    const next = await drain(q, 10);
    const posC = next.findIndex((t) => t.priority.fairnessKey === 'C');
    expect(posC).toBeGreaterThanOrEqual(0);
    expect(posC).toBeLessThan(5);
  });

  it('answers a 5 s long poll empty before its deadline, without an error', async () => {
    const q = newQueue();
    const start = Date.now();
    const result = await poll(q, { deadlineMs: 5_000 });
    const took = Date.now() - start;
    expect(result).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(3_500);
    expect(took).toBeLessThan(5_000);
  });

  it('cancels a poll when the client disconnects, and the task then goes to the backlog', async () => {
    const q = newQueue();
    const c = new AbortController();
    const p = svc.poll({ namespaceId: NS, taskQueue: { name: q, kind: 'normal' }, type: 'activity', identity: 'w' }, c.signal, new Date(Date.now() + 30_000));
    await pollerSeen(q, 'w');
    c.abort();
    expect(await p).toBeUndefined();
    expect((await add(q, 'later')).outcome).toBe('spooled');
    const t = await poll(q);
    expect(t && dec(t.payload)).toBe('later');
  });

  it('drops tasks past their schedule-to-start expiry', async () => {
    const q = newQueue();
    expect((await add(q, 'dead', { scheduleToStartExpiry: new Date(Date.now() - 1) })).outcome).toBe('dropped');
    const expiry = new Date(Date.now() + 150);
    await add(q, 'expiring', { scheduleToStartExpiry: expiry });
    await add(q, 'alive');
    // Real time must pass the expiry (the service runs on the system clock): wait for exactly that.
    await expect.poll(() => Date.now(), { interval: 5, timeout: 5_000 }).toBeGreaterThan(expiry.getTime());
    const t = await poll(q);
    expect(t && dec(t.payload)).toBe('alive');
    expect(await poll(q, { deadlineMs: 2_200 })).toBeUndefined();
  });

  it('runs the accept hook: stale tasks are skipped, failed accepts put the task back', async () => {
    const q = newQueue();
    await add(q, 'stale');
    await add(q, 'good');
    const seen: string[] = [];
    const t = await poll(q, {
      req: {
        accept: async (task) => {
          seen.push(dec(task.payload));
          return dec(task.payload) === 'stale' ? 'stale' : 'accepted';
        },
      },
    });
    expect(t && dec(t.payload)).toBe('good');
    expect(seen).toEqual(['stale', 'good']);

    await add(q, 'retry-me');
    await expect(poll(q, { req: { accept: async () => Promise.reject(new Error('db down')) } })).rejects.toThrow('db down');
    const again = await poll(q);
    expect(again && dec(again.payload)).toBe('retry-me');

    // Sync match with a failing accept falls back to the backlog.
    const failing = poll(q, { req: { identity: 'failing-worker', accept: async () => Promise.reject(new Error('busy')) } }).catch((e: Error) => e);
    await pollerSeen(q, 'failing-worker');
    const r = await add(q, 'sync-then-spool');
    expect(((await failing) as Error).message).toBe('busy');
    expect(r.outcome).toBe('spooled');
    const last = await poll(q);
    expect(last && dec(last.payload)).toBe('sync-then-spool');
  });

  it('sticky queues: match while the worker polls, refuse adds when it is gone or shut down', async () => {
    const sticky = { name: `worker-1-${Math.random().toString(36).slice(2)}`, kind: 'sticky' as const, normalName: 'wf-q' };
    const addSticky = () => svc.addTask({ namespaceId: NS, taskQueue: sticky, type: 'workflow', payload: enc('s') });
    await expect(addSticky()).rejects.toBeInstanceOf(StickyWorkerUnavailableError);

    const c = new AbortController();
    controllers.push(c);
    const pollSticky = (identity = 'worker-1') =>
      svc.poll({ namespaceId: NS, taskQueue: sticky, type: 'workflow', identity }, c.signal, new Date(Date.now() + 30_000));
    const stickySeen = (identity: string) => pollerSeen(sticky.name, identity, { type: 'workflow', kind: 'sticky' });
    const p1 = pollSticky();
    await stickySeen('worker-1');
    expect((await addSticky()).outcome).toBe('sync-matched');
    expect((await p1)?.taskQueue.kind).toBe('sticky');
    // Polled within 10 s: adds queue up (in memory) for the worker's next poll.
    expect((await addSticky()).outcome).toBe('spooled');
    expect(await pollSticky()).toBeDefined();

    // Another identity, so that seeing it proves this poll (not an earlier one) is waiting.
    const p2 = pollSticky('worker-1-again');
    await stickySeen('worker-1-again');
    await svc.shutdownWorker({ namespaceId: NS, stickyQueue: sticky.name });
    expect(await p2).toBeUndefined();
    await expect(addSticky()).rejects.toBeInstanceOf(StickyWorkerUnavailableError);
  });

  it('pauses dispatch at rate 0 and resumes when the limit is removed', async () => {
    const q = newQueue();
    const id = { namespaceId: NS, name: q, type: 'activity' as const };
    await svc.updateTaskQueueConfig(id, { updateQueueRateLimit: { requestsPerSecond: 0, reason: 'maintenance' } });
    const waiting = poll(q, { deadlineMs: 3_000 });
    await pollerSeen(q, 'worker-1');
    expect((await add(q, 'held')).outcome).toBe('spooled');
    expect(await waiting).toBeUndefined();
    const d = await svc.describeTaskQueue(id);
    expect(d.effectiveRateLimit).toEqual({ requestsPerSecond: 0, source: 'api' });
    expect(d.stats.rateLimitingActive).toBe(true);
    expect(d.stats.approximateBacklogCount).toBe(1);

    const resumed = poll(q);
    await svc.updateTaskQueueConfig(id, { updateQueueRateLimit: {} });
    const t = await resumed;
    expect(t && dec(t.payload)).toBe('held');
  });

  it('limits each fairness key to the default per-key rate', async () => {
    const q = newQueue();
    const id = { namespaceId: NS, name: q, type: 'activity' as const };
    await svc.updateTaskQueueConfig(id, { updateFairnessKeyRateLimitDefault: { requestsPerSecond: 2 } });
    for (let i = 0; i < 6; i++) await add(q, `k${i}`, { priority: { fairnessKey: 'slow' } });
    await add(q, 'other', { priority: { fairnessKey: 'fast' } });
    const start = Date.now();
    const got = await drain(q, 5);
    // Burst of 2 for 'slow', 'fast' is not held back behind it, the rest at ~2/s.
    expect(got.some((t) => dec(t.payload) === 'other')).toBe(true);
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });

  it('persists weight overrides and validates the config', async () => {
    const q = newQueue();
    const id = { namespaceId: NS, name: q, type: 'activity' as const };
    await expect(
      svc.updateTaskQueueConfig(id, { setFairnessWeightOverrides: { A: 5000 } }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      svc.updateTaskQueueConfig(id, { setFairnessWeightOverrides: { ['x'.repeat(65)]: 1 } }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await svc.updateTaskQueueConfig(id, { setFairnessWeightOverrides: { A: 3 } });
    await stopService();
    await startService();
    expect((await svc.getTaskQueueConfig(id)).fairnessWeightOverrides).toEqual({ A: 3 });

    // The override beats the task's own weight.
    const adds: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) adds.push(add(q, `A${i}`, { priority: { fairnessKey: 'A', fairnessWeight: 1 } }));
    for (let i = 0; i < 40; i++) adds.push(add(q, `B${i}`, { priority: { fairnessKey: 'B', fairnessWeight: 1 } }));
    await Promise.all(adds);
    const first = await drain(q, 20);
    expect(first.filter((t) => t.priority.fairnessKey === 'A').length).toBeGreaterThanOrEqual(13);
  });

  it('keeps fairness keys as written in the stored config and backlog across a restart', async () => {
    const q = newQueue();
    const id = { namespaceId: NS, name: q, type: 'activity' as const };
    const overrides = { tenant_a: 2, Tenant_B: 3, 'with space': 4 };
    await svc.updateTaskQueueConfig(id, { setFairnessWeightOverrides: overrides });
    await add(q, 'x', { priority: { fairnessKey: 'tenant_a' } });
    await stopService();
    await startService();
    expect((await svc.getTaskQueueConfig(id)).fairnessWeightOverrides).toEqual(overrides);
    const [t] = await drain(q, 1);
    expect(t!.priority).toMatchObject({ fairnessKey: 'tenant_a', fairnessWeight: 2 });
  });

  it('rejects bad priorities and fairness keys with INVALID_ARGUMENT', async () => {
    const q = newQueue();
    await expect(add(q, 'x', { priority: { fairnessKey: 'k'.repeat(65) } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(add(q, 'x', { priority: { fairnessWeight: 0.0001 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(add(q, 'x', { priority: { priorityKey: -1 } })).rejects.toBeInstanceOf(InvalidArgumentError);
    // Above the level count clips to the lowest priority.
    await add(q, 'clipped', { priority: { priorityKey: 9 } });
    expect((await poll(q))?.priority.priorityKey).toBe(5);
  });

  it('describes pollers, backlog and rates', async () => {
    const q = newQueue();
    const id = { namespaceId: NS, name: q, type: 'activity' as const };
    for (let i = 0; i < 5; i++) await add(q, `d${i}`, { priority: { priorityKey: i % 2 ? 2 : 4 } });
    await poll(q, { req: { identity: 'poller-a', ratePerSecond: 50 } });
    const d = await svc.describeTaskQueue(id);
    expect(d.pollers.map((p) => p.identity)).toContain('poller-a');
    expect(d.pollers.find((p) => p.identity === 'poller-a')?.ratePerSecond).toBe(50);
    expect(d.stats.approximateBacklogCount).toBe(4);
    expect(d.stats.approximateBacklogAgeMs).toBeGreaterThanOrEqual(0);
    expect(d.stats.tasksAddRate).toBeGreaterThan(0);
    expect(d.stats.tasksDispatchRate).toBeGreaterThan(0);
    expect(d.statsByPriorityKey.get(2)?.approximateBacklogCount).toBe(1);
    expect(d.effectiveRateLimit).toEqual({ requestsPerSecond: 50, source: 'worker' });
  });

  it('fences a stale owner: its writes fail once another owner took the queue', async () => {
    const q = newQueue();
    await add(q, 'before');
    // A second service on the same database takes the queue over (range id + 1).
    const other = new LocalMatchingService(database, systemClock, logger, new Registry());
    await other.start();
    try {
      const t = await other.poll(
        { namespaceId: NS, taskQueue: { name: q, kind: 'normal' }, type: 'activity', identity: 'w2' },
        new AbortController().signal,
        new Date(Date.now() + 5_000),
      );
      expect(t && dec(t.payload)).toBe('before');
      await expect(add(q, 'stale-owner')).rejects.toBeInstanceOf(TaskQueueOwnershipLostError);
    } finally {
      await other.stop();
    }
  });

  it('purges a deleted namespace in batches, idempotently, and leaves other namespaces alone', async () => {
    const gone = `gone-${Math.random().toString(36).slice(2, 8)}`;
    const addTo = (ns: string, queue: string, payload: string) =>
      svc.addTask({ namespaceId: ns, taskQueue: { name: queue, kind: 'normal' }, type: 'activity', payload: enc(payload) });
    for (let i = 0; i < 5; i++) await addTo(gone, 'a', `a${i}`);
    await addTo(gone, 'b', 'b0');
    const kept = newQueue();
    await add(kept, 'kept');
    const count = async (table: 'task_queues' | 'task_queue_tasks', ns: string) =>
      Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where namespace_id = ${ns}`.execute(database.db)).rows[0]?.n);
    expect(await count('task_queues', gone)).toBe(2);
    expect(await count('task_queue_tasks', gone)).toBe(6);
    // Batches of 2, as a purge interrupted after any of them would go on: queue rows first.
    const batches: number[] = [];
    for (let n; (n = await svc.purgeNamespace(gone, 2)) > 0; ) batches.push(n);
    expect(batches).toEqual([2, 2, 2, 2]);
    expect(await svc.purgeNamespace(gone, 2)).toBe(0);
    expect(await count('task_queues', gone)).toBe(0);
    expect(await count('task_queue_tasks', gone)).toBe(0);
    // The other namespace's backlog is still served.
    const t = await poll(kept);
    expect(t && dec(t.payload)).toBe('kept');
  });

  it('keeps worker heartbeats for ListWorkers and DescribeWorker', () => {
    const hb = (key: string, tq: string) => ({
      workerInstanceKey: key,
      workerIdentity: `id-${key}`,
      hostName: 'host',
      taskQueue: tq,
      sdkName: 'temporal-typescript',
      sdkVersion: '1.24.0',
      status: 'RUNNING',
      heartbeatTime: new Date(),
      heartbeat: {},
    });
    svc.recordWorkerHeartbeat(NS, [hb('k1', 'orders'), hb('k2', 'billing')]);
    expect(svc.listWorkers(NS, {}).map((w) => w.workerInstanceKey)).toEqual(['k1', 'k2']);
    expect(svc.listWorkers(NS, { query: "TaskQueue = 'orders'" }).map((w) => w.workerInstanceKey)).toEqual(['k1']);
    expect(svc.describeWorker(NS, 'k2')?.taskQueue).toBe('billing');
    svc.recordWorkerHeartbeat(NS, [{ ...hb('k2', 'billing'), status: 'SHUTDOWN' }]);
    expect(svc.describeWorker(NS, 'k2')).toBeUndefined();
  });

  describe('sync-only adds (syncOnlyUntil, Nexus tasks)', () => {
    const addSyncOnly = (queue: string, payload: string, untilMs: number, extra: Partial<AddTaskRequest> = {}) =>
      add(queue, payload, { syncOnlyUntil: new Date(Date.now() + untilMs), ...extra }, 'nexus');

    it('waits for a poller that arrives later and hands the task over without touching the backlog', async () => {
      const q = newQueue();
      const added = addSyncOnly(q, 'op', 10_000);
      await new Promise((r) => setTimeout(r, 200));
      const t = await poll(q, { type: 'nexus' });
      expect(t && dec(t.payload)).toBe('op');
      expect(t?.syncMatched).toBe(true);
      expect((await added).outcome).toBe('sync-matched');
      expect(await backlogRows(q)).toBe(0);
    });

    it('reports expired at its deadline when no poller came, and stores nothing', async () => {
      const q = newQueue();
      const started = Date.now();
      expect((await addSyncOnly(q, 'lonely', 500)).outcome).toBe('expired');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(await backlogRows(q)).toBe(0);
      // Nothing is left for a later poller either.
      expect(await poll(q, { type: 'nexus', deadlineMs: 1_500 })).toBeUndefined();
      const d = await svc.describeTaskQueue({ namespaceId: NS, name: q, type: 'nexus' });
      expect(d.stats.approximateBacklogCount).toBe(0);
    });

    it('reports expired at once when the deadline has already passed', async () => {
      const q = newQueue();
      expect((await addSyncOnly(q, 'late', -1)).outcome).toBe('expired');
    });

    it('reports dropped when the accept hook finds the task stale, and the poll keeps waiting', async () => {
      const q = newQueue();
      const seen: string[] = [];
      const polled = poll(q, {
        type: 'nexus',
        req: {
          accept: async (t) => {
            seen.push(dec(t.payload));
            return dec(t.payload) === 'stale' ? 'stale' : 'accepted';
          },
        },
      });
      await pollerSeen(q, 'worker-1', { type: 'nexus' });
      expect((await addSyncOnly(q, 'stale', 5_000)).outcome).toBe('dropped');
      expect((await addSyncOnly(q, 'fresh', 5_000)).outcome).toBe('sync-matched');
      const t = await polled;
      expect(t && dec(t.payload)).toBe('fresh');
      expect(seen).toEqual(['stale', 'fresh']);
    });

    it('offers the task to the next poller when an accept hook throws', async () => {
      const q = newQueue();
      const failing = poll(q, { type: 'nexus', req: { identity: 'flaky', accept: async () => Promise.reject(new Error('boom')) } });
      await pollerSeen(q, 'flaky', { type: 'nexus' });
      const added = addSyncOnly(q, 'retry-me', 10_000);
      await expect(failing).rejects.toThrow('boom');
      const t = await poll(q, { type: 'nexus' });
      expect(t && dec(t.payload)).toBe('retry-me');
      expect((await added).outcome).toBe('sync-matched');
    });

    it('goes ahead of backlogged tasks of the same queue', async () => {
      const q = newQueue();
      expect((await add(q, 'backlogged', {}, 'nexus')).outcome).toBe('spooled');
      const added = addSyncOnly(q, 'urgent', 10_000);
      const first = await poll(q, { type: 'nexus' });
      expect(first && dec(first.payload)).toBe('urgent');
      expect((await added).outcome).toBe('sync-matched');
      const second = await poll(q, { type: 'nexus' });
      expect(second && dec(second.payload)).toBe('backlogged');
    });

    it('releases waiting sync-only adds as expired when the service stops', async () => {
      const q = newQueue();
      const added = addSyncOnly(q, 'pending', 30_000);
      await new Promise((r) => setTimeout(r, 100));
      await stopService();
      try {
        expect((await added).outcome).toBe('expired');
      } finally {
        await startService();
      }
    });
  });
});
