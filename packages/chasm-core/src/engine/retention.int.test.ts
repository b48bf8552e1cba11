import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import { KyselyExecutionStore } from '../persistence/kysely-execution-store.js';
import type { Database } from '../persistence/database.js';
import type { ExecutionStore, TaskRow } from '../persistence/store.js';
import { ManualClock } from '../testing/manual-clock.js';
import { MemoryExecutionStore } from '../testing/memory-store.js';
import { Store, addItem, createStore, referenceLibrary, storeTarget } from '../testing/reference/index.js';
import { testDatabases } from '../testing/test-databases.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';
import { RETENTION_TASK_TYPE, type RetentionPolicy } from './retention-policy.js';

const NS = 'ns-short';
const FOREVER_NS = 'ns-forever';
const RETENTION_MS = 10_000;

/** Namespace `ns-short` keeps closed executions 10 s; every other namespace keeps them forever. */
const policy: RetentionPolicy = { retentionMs: async (ns) => (ns === NS ? RETENTION_MS : undefined) };

async function allTasks(store: ExecutionStore): Promise<TaskRow[]> {
  const out: TaskRow[] = [];
  for (let s = 0; s < store.shardCount; s++) out.push(...(await store.scanTasks({ shardId: s, dueBefore: new Date('9999-01-01T00:00:00Z'), limit: 100_000 })));
  return out;
}

const factories = [
  { name: 'memory', open: async () => ({ store: new MemoryExecutionStore() as ExecutionStore, close: async () => {} }) },
  ...testDatabases().map((tdb) => ({
    name: tdb.name,
    open: async () => {
      const db: Database = await tdb.open();
      return { store: (await KyselyExecutionStore.open(db, { shardCount: 4 })) as ExecutionStore, close: () => db.close() };
    },
  })),
];

describe.each(factories)('retention on $name', (factory) => {
  let t: TestEngine;
  let store: ExecutionStore;
  let closeStore: () => Promise<void>;
  const start = async (clock = new ManualClock()): Promise<TestEngine> =>
    createTestEngine({ libraries: [referenceLibrary], store, clock, engine: { retention: policy } });
  /** Closes the run and lets its visibility record be written (a retention timer waits for that). */
  const close = async (ns: string, id: string, runId?: string): Promise<void> => {
    await t.engine.update(storeTarget(ns, id, runId), (s) => void (s.state.closed = true));
    await t.drain();
  };
  const exists = async (ns: string, id: string, runId?: string): Promise<boolean> =>
    t.engine.describe(storeTarget(ns, id, runId)).then(
      () => true,
      (e: unknown) => {
        if (e instanceof NotFoundError) return false;
        throw e;
      },
    );

  beforeEach(async () => {
    ({ store, close: closeStore } = await factory.open());
    t = await start();
  });
  afterEach(async () => {
    await t.stop();
    await closeStore();
  });

  it('deletes a closed execution (nodes, tasks, visibility, current row) once retention has passed', async () => {
    await createStore(t.engine, NS, 'a');
    await t.engine.update(storeTarget(NS, 'a'), (s, ctx) => void addItem(s, ctx, 'k', 'v'));
    await close(NS, 'a');
    await t.drain();
    expect(await t.engine.count(Store, { namespaceId: NS })).toBe(1);
    const timers = (await allTasks(store)).filter((r) => r.typeName === RETENTION_TASK_TYPE);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.fireAt!.getTime()).toBe(t.clock.now().getTime() + RETENTION_MS);

    await t.advance(RETENTION_MS - 1);
    expect(await exists(NS, 'a')).toBe(true);
    await t.advance(1);

    expect(await exists(NS, 'a')).toBe(false);
    expect(await t.engine.count(Store, { namespaceId: NS })).toBe(0);
    expect(await allTasks(store)).toEqual([]);
    expect(await store.getCurrentExecution(NS, 'a', Store.name)).toBeUndefined();
    // The business id is free again, as if it had never been used.
    expect((await createStore(t.engine, NS, 'a', { reusePolicy: 'rejectDuplicate' })).created).toBe(true);
  });

  it('keeps executions forever where the policy says so, and running ones always', async () => {
    await createStore(t.engine, FOREVER_NS, 'kept');
    await close(FOREVER_NS, 'kept');
    await createStore(t.engine, NS, 'running');
    await t.drain();
    expect((await allTasks(store)).filter((r) => r.typeName === RETENTION_TASK_TYPE)).toEqual([]);
    await t.advance(RETENTION_MS * 10);
    expect(await exists(FOREVER_NS, 'kept')).toBe(true);
    expect(await exists(NS, 'running')).toBe(true);
  });

  it('deletes each run of a business id on its own; the current run is left alone', async () => {
    const first = await createStore(t.engine, NS, 'chain');
    await close(NS, 'chain');
    await t.advance(RETENTION_MS / 2);
    const second = await createStore(t.engine, NS, 'chain', { reusePolicy: 'allowDuplicate' });
    await t.advance(RETENTION_MS / 2);

    expect(await exists(NS, 'chain', first.runId)).toBe(false);
    expect(await exists(NS, 'chain', second.runId)).toBe(true);
    expect((await t.engine.describe(storeTarget(NS, 'chain'))).runId).toBe(second.runId);
    expect((await store.getCurrentExecution(NS, 'chain', Store.name))?.runId).toBe(second.runId);

    await close(NS, 'chain');
    await t.advance(RETENTION_MS);
    expect(await exists(NS, 'chain', second.runId)).toBe(false);
    expect(await store.getCurrentExecution(NS, 'chain', Store.name)).toBeUndefined();
  });

  it('drops the timer of a close that was undone, and honours the next close', async () => {
    await createStore(t.engine, NS, 'reopened');
    await close(NS, 'reopened');
    await t.advance(RETENTION_MS / 2);
    await t.engine.update(storeTarget(NS, 'reopened'), (s) => void (s.state.closed = false));
    await t.advance(RETENTION_MS);
    expect(await exists(NS, 'reopened')).toBe(true);
    expect((await allTasks(store)).filter((r) => r.typeName === RETENTION_TASK_TYPE)).toEqual([]);

    await close(NS, 'reopened');
    await t.advance(RETENTION_MS);
    expect(await exists(NS, 'reopened')).toBe(false);
  });

  it('runs a timer armed before a restart, and a repeat of it finds nothing to do', async () => {
    await createStore(t.engine, NS, 'survivor');
    await close(NS, 'survivor');
    await t.drain();
    const [timer] = (await allTasks(store)).filter((r) => r.typeName === RETENTION_TASK_TYPE);
    expect(timer).toBeDefined();
    await t.stop();

    // A new engine (new shard leases) over the same rows, as after a crash.
    const clock = new ManualClock(t.clock.now());
    t = await start(clock);
    await t.advance(RETENTION_MS);
    expect(await exists(NS, 'survivor')).toBe(false);
    expect(await allTasks(store)).toEqual([]);
    expect(await t.engine.runRetention(timer!)).toBe('stale');
  });

  it('purges a namespace in batches without touching other namespaces', async () => {
    for (let i = 0; i < 7; i++) await createStore(t.engine, 'doomed', `d${i}`);
    await close('doomed', 'd0');
    await createStore(t.engine, FOREVER_NS, 'other');
    await t.drain();

    expect(await t.engine.purgeNamespace('doomed', 3)).toEqual({ found: 3, deleted: 3 });
    let total = 3;
    for (let r; (r = await t.engine.purgeNamespace('doomed', 3)).found > 0; ) total += r.deleted;
    expect(total).toBe(7);
    await t.drain();
    expect(await t.engine.count(Store, { namespaceId: 'doomed' })).toBe(0);
    expect(await exists('doomed', 'd3')).toBe(false);
    expect(await exists(FOREVER_NS, 'other')).toBe(true);
    expect((await allTasks(store)).filter((r) => r.namespaceId === 'doomed')).toEqual([]);
  });
});
