import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asComponent, type AnyComponent } from '../component/component-type.js';
import {
  ExecutionAlreadyStartedError,
  InvalidTransitionError,
  NotFoundError,
  RequestIdAlreadyUsedError,
  TaskInvalidError,
} from '../errors.js';
import { MemoryExecutionStore } from '../testing/memory-store.js';
import { KyselyExecutionStore } from '../persistence/kysely-execution-store.js';
import type { Database } from '../persistence/database.js';
import type { ExecutionStore, TaskRow } from '../persistence/store.js';
import { testDatabases } from '../testing/test-databases.js';
import {
  Item,
  ItemTransitions,
  NotifyTask,
  Store,
  addItem,
  createStore,
  referenceLibrary,
  sideEffectLog,
  storeTarget,
} from '../testing/reference/index.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';

const NS = 'ns-1';

/** Every task row still stored, across shards. */
async function allTasks(store: ExecutionStore): Promise<TaskRow[]> {
  const out: TaskRow[] = [];
  for (let s = 0; s < store.shardCount; s++) out.push(...(await store.scanTasks({ shardId: s, dueBefore: new Date('9999-01-01T00:00:00Z'), limit: 100_000 })));
  return out;
}

interface StoreFactory {
  readonly name: string;
  open(): Promise<{ store: ExecutionStore; close(): Promise<void> }>;
}

const factories: StoreFactory[] = [
  { name: 'memory', open: async () => ({ store: new MemoryExecutionStore(), close: async () => {} }) },
  ...testDatabases().map((tdb) => ({
    name: tdb.name,
    open: async () => {
      const db: Database = await tdb.open();
      return { store: await KyselyExecutionStore.open(db, { shardCount: 4 }), close: () => db.close() };
    },
  })),
];

describe.each(factories)('ChasmEngine on $name', (factory) => {
  let t: TestEngine;
  let closeStore: () => Promise<void>;
  beforeEach(async () => {
    const { store, close } = await factory.open();
    closeStore = close;
    t = await createTestEngine({ libraries: [referenceLibrary], store });
  });
  afterEach(async () => {
    await t.stop();
    await closeStore();
  });

  describe('.start', () => {
    it('creates an execution whose root is readable', async () => {
      const r = await createStore(t.engine, NS, 's1');
      expect(r.created).toBe(true);
      const name = await t.engine.read(storeTarget(NS, 's1'), (s) => s.state.name);
      expect(name).toBe('s1');
      expect((await t.engine.describe(r.ref)).status).toBe('running');
    });

    it('returns the same run for a retried request id', async () => {
      const a = await createStore(t.engine, NS, 's1', { requestId: 'req-1' });
      const b = await createStore(t.engine, NS, 's1', { requestId: 'req-1' });
      expect(b.created).toBe(false);
      expect(b.runId).toBe(a.runId);
    });

    it('fails on a running duplicate, or returns it under useExisting', async () => {
      const a = await createStore(t.engine, NS, 's1');
      await expect(createStore(t.engine, NS, 's1')).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
      const b = await createStore(t.engine, NS, 's1', { conflictPolicy: 'useExisting' });
      expect(b).toMatchObject({ created: false, runId: a.runId });
    });

    it('applies the reuse policy once the run closed', async () => {
      const close = (id: string) => t.engine.update(storeTarget(NS, id), (s) => void (s.state.closed = true));
      await createStore(t.engine, NS, 'a');
      await close('a');
      await expect(createStore(t.engine, NS, 'a', { reusePolicy: 'rejectDuplicate' })).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
      await expect(createStore(t.engine, NS, 'a', { reusePolicy: 'allowDuplicateFailedOnly' })).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
      const again = await createStore(t.engine, NS, 'a', { reusePolicy: 'allowDuplicate' });
      expect(again.created).toBe(true);

      await createStore(t.engine, NS, 'b');
      await t.engine.terminate(storeTarget(NS, 'b'), 'test');
      expect((await t.engine.describe(storeTarget(NS, 'b'))).status).toBe('terminated');
      expect((await createStore(t.engine, NS, 'b', { reusePolicy: 'allowDuplicateFailedOnly' })).created).toBe(true);
    });
    it('decides from the store when the id is not cached (a restarted engine): dedup, conflicts and reuse policies', async () => {
      const a = await createStore(t.engine, NS, 'cold-run', { requestId: 'req-cold' });
      await createStore(t.engine, NS, 'cold-closed');
      await t.engine.update(storeTarget(NS, 'cold-closed'), (s) => void (s.state.closed = true));
      await t.stop();
      // A new engine on the same store starts with an empty cache.
      t = await createTestEngine({ libraries: [referenceLibrary], store: t.store });
      const again = await createStore(t.engine, NS, 'cold-run', { requestId: 'req-cold' });
      expect(again).toMatchObject({ created: false, runId: a.runId });
      await t.stop();
      t = await createTestEngine({ libraries: [referenceLibrary], store: t.store });
      await expect(createStore(t.engine, NS, 'cold-run')).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
      await t.stop();
      t = await createTestEngine({ libraries: [referenceLibrary], store: t.store });
      await expect(createStore(t.engine, NS, 'cold-closed', { reusePolicy: 'rejectDuplicate' })).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
      await t.stop();
      t = await createTestEngine({ libraries: [referenceLibrary], store: t.store });
      const next = await createStore(t.engine, NS, 'cold-closed', { reusePolicy: 'allowDuplicate' });
      expect(next.created).toBe(true);
      expect((await t.engine.describe(storeTarget(NS, 'cold-closed'))).status).toBe('running');
    });
  });

  describe('.update', () => {
    it("tells a transaction the execution's component state bytes as the last commit wrote them (data nodes left out), also after a reload", async () => {
      await createStore(t.engine, NS, 'sized');
      const size = () => t.engine.read(storeTarget(NS, 'sized'), (_s, ctx) => ctx.stateBytes);
      const empty = await size();
      expect(empty).toBeGreaterThan(0);
      await t.engine.update(storeTarget(NS, 'sized'), (s, ctx) => void addItem(s, ctx, 'big', 'x'.repeat(5000)));
      const withItem = await size();
      expect(withItem).toBeGreaterThan(empty + 5000);
      // A data node is not state: a 5,000-byte payload entry changes nothing.
      await t.engine.update(storeTarget(NS, 'sized'), (s) => void s.fields.payloads.set('p', { bytes: new Uint8Array(5000), at: new Date() }));
      const withData = await size();
      expect(withData).toBeLessThan(withItem + 100);
      // A fresh engine counts the same bytes from the stored rows.
      await t.stop();
      t = await createTestEngine({ libraries: [referenceLibrary], store: t.store });
      expect(await size()).toBe(withData);
      await t.engine.update(storeTarget(NS, 'sized'), (s) => void s.fields.items.delete('big'));
      expect(await size()).toBeLessThan(withData - 5000);
    });

    it('changes state by key and by ref, and returns a fresh ref', async () => {
      const { ref } = await createStore(t.engine, NS, 's1');
      const r1 = await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => addItem(s, ctx, 'k', 'v1').path);
      expect(r1.output).toBe('items/k');
      const r2 = await t.engine.update(ref, (c) => asComponent(c, Store).state.itemCount);
      expect(r2.output).toBe(1); // the immediate recount task ran in the same transaction
      expect(r2.ref!.executionTc).toBeGreaterThanOrEqual(r1.ref!.executionTc);
    });

    it('rejects a request id it already applied', async () => {
      await createStore(t.engine, NS, 's1');
      const bump = () => t.engine.update(storeTarget(NS, 's1'), (s) => void s.state.firedTotal++, { requestId: 'u1' });
      await bump();
      await expect(bump()).rejects.toBeInstanceOf(RequestIdAlreadyUsedError);
      expect(await t.engine.read(storeTarget(NS, 's1'), (s) => s.state.firedTotal)).toBe(1);
    });

    it('does not find a component recreated at the same path through an old ref', async () => {
      await createStore(t.engine, NS, 's1');
      const { output: itemRef } = await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => ctx.ref(addItem(s, ctx, 'k', 'v')));
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => {
        s.fields.items.delete('k');
        addItem(s, ctx, 'k', 'again');
      });
      await expect(t.engine.read(itemRef, (c) => c.state)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('fails an invalid transition clearly and leaves state untouched', async () => {
      await createStore(t.engine, NS, 's1');
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v'));
      const err = await t.engine
        .update(storeTarget(NS, 's1'), (s, ctx) => ItemTransitions.resume.apply(asComponent(s.fields.items.get('k')!, Item), ctx))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidTransitionError);
      expect((err as Error).message).toBe('invalid transition resume from state active');
    });

    it('rolls back in-memory changes when the update throws', async () => {
      await createStore(t.engine, NS, 's1');
      await expect(
        t.engine.update(storeTarget(NS, 's1'), (s) => {
          s.state.firedTotal = 99;
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await t.engine.read(storeTarget(NS, 's1'), (s) => s.state.firedTotal)).toBe(0);
    });

    it('writes nothing when nothing changed', async () => {
      await createStore(t.engine, NS, 's1');
      await t.drain();
      const before = await t.engine.describe(storeTarget(NS, 's1'));
      await t.engine.update(storeTarget(NS, 's1'), (s) => s.state.name);
      expect((await t.engine.describe(storeTarget(NS, 's1'))).transitionCount).toBe(before.transitionCount);
    });
  });

  describe('.update speculative', () => {
    it('changes the cached execution without a commit; polls see it; the next commit writes it; a reload loses it', async () => {
      await createStore(t.engine, NS, 'spec');
      const target = storeTarget(NS, 'spec');
      const tc = (await t.engine.describe(target)).transitionCount;
      const seen = t.engine.poll(target, (s) => (s.state.name === 'speculative' ? s.state.name : undefined));
      await t.engine.update(target, (s) => void (s.state.name = 'speculative'), { speculative: true });
      expect((await seen).value).toBe('speculative');
      expect((await t.engine.describe(target)).transitionCount).toBe(tc);
      // A speculative update may not add tasks (they could not be durable); it leaves the run unchanged.
      await expect(t.engine.update(target, (s, ctx) => addItem(s, ctx, 'k', 'v'), { speculative: true })).rejects.toThrow(/cannot add tasks/);
      expect(await t.engine.read(target, (s) => s.state.name)).toBe('spec');
      await t.engine.update(target, (s) => void (s.state.name = 'kept'), { speculative: true });
      await t.engine.update(target, (s) => void (s.state.closed = false));
      expect((await t.engine.describe(target)).transitionCount).toBe(tc + 1);
      await t.engine.update(target, (s) => void (s.state.name = 'lost'), { speculative: true });
      await t.stop();
      t = await createTestEngine({ libraries: [referenceLibrary], store: t.store });
      expect(await t.engine.read(target, (s) => s.state.name)).toBe('kept');
    });
  });

  describe('.poll', () => {
    it('waits until the predicate holds', async () => {
      const { ref } = await createStore(t.engine, NS, 's1');
      const polled = t.engine.poll(ref, (c) => (asComponent(c, Store).state.firedTotal >= 2 ? 'done' : undefined));
      await t.engine.update(ref, (c) => void asComponent(c, Store).state.firedTotal++);
      await t.engine.update(ref, (c) => void asComponent(c, Store).state.firedTotal++);
      expect((await polled).value).toBe('done');
    });

    it('is answered by the commit that makes its predicate hold, not after the next writer queued on the lock (pinned runs)', async () => {
      const { ref } = await createStore(t.engine, NS, 's1');
      const seen = (c: AnyComponent) => {
        const n = asComponent(c, Store).state.firedTotal;
        return n >= 1 ? n : undefined;
      };
      const pinned = t.engine.poll(ref, seen);
      // The current run, resolved again under the lock: it sees the state after the queued writer.
      const current = t.engine.poll(storeTarget(NS, 's1'), (s) => (s.state.firedTotal >= 1 ? s.state.firedTotal : undefined));
      await new Promise((r) => setTimeout(r, 10));
      const first = t.engine.update(ref, (c) => void (asComponent(c, Store).state.firedTotal = 1));
      const second = t.engine.update(ref, (c) => void (asComponent(c, Store).state.firedTotal = 2));
      await Promise.all([first, second]);
      expect((await pinned).value).toBe(1);
      expect((await current).value).toBe(2);
    });

    it('answers empty shortly before the deadline', async () => {
      const { ref } = await createStore(t.engine, NS, 's1');
      const deadline = new Date(t.clock.now().getTime() + 5000);
      const polled = t.engine.poll(ref, () => undefined, { deadline });
      // Advance only once the poll has armed its wake-up (about a second before the deadline).
      await t.clock.whenScheduled(new Date(t.clock.now().getTime() + 4000));
      t.clock.advance(4000);
      const r = await polled;
      expect(r.value).toBeUndefined();
      expect(t.clock.now().getTime()).toBeLessThan(deadline.getTime());
    });
  });

  describe('tasks', () => {
    it('fires a timer at its time, not before', async () => {
      await createStore(t.engine, NS, 's1');
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { ttlMs: 1000 }));
      await t.advance(999);
      expect(await t.engine.read(storeTarget(NS, 's1'), (s) => s.state.expiredCount)).toBe(0);
      await t.advance(1);
      expect(await t.engine.read(storeTarget(NS, 's1'), (s) => s.state.expiredCount)).toBe(1);
      expect((await allTasks(t.store)).filter((x) => x.kind === 'pure')).toHaveLength(0);
    });

    it('drops a stale timer and never runs it', async () => {
      await createStore(t.engine, NS, 's1');
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { ttlMs: 1000 }));
      // Re-arming bumps the stamp: the first timer becomes invalid and is removed at this commit.
      await t.engine.update(storeTarget(NS, 's1'), (s) => void asComponent(s.fields.items.get('k')!, Item).state.ttlStamp++);
      expect((await allTasks(t.store)).filter((x) => x.typeName === 'tests.expire')).toHaveLength(0);
      await t.advance(5000);
      expect(await t.engine.read(storeTarget(NS, 's1'), (s) => s.state.expiredCount)).toBe(0);
    });

    it('does not wake up for a timer a commit deleted: no load of an execution that left the cache', async () => {
      // A cache of one execution: creating a second store evicts the first.
      const small = await createTestEngine({ libraries: [referenceLibrary], store: t.store, engine: { cacheSize: 1 } });
      try {
        await createStore(small.engine, NS, 'c1');
        await small.engine.update(storeTarget(NS, 'c1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { ttlMs: 1000 }));
        await small.engine.update(storeTarget(NS, 'c1'), (s) => void asComponent(s.fields.items.get('k')!, Item).state.ttlStamp++);
        await createStore(small.engine, NS, 'c2');
        const loads: string[] = [];
        const load = t.store.loadExecution.bind(t.store);
        t.store.loadExecution = (key) => {
          loads.push(key.businessId);
          return load(key);
        };
        await small.advance(5000);
        expect(loads).toEqual([]);
        expect(small.engine.processor.pendingTimers).toBe(0);
        expect(await small.engine.read(storeTarget(NS, 'c1'), (s) => s.state.expiredCount)).toBe(0);
      } finally {
        await small.stop();
      }
    });

    it('treats tasks of a paused component as invalid (access rule)', async () => {
      await createStore(t.engine, NS, 's1');
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => {
        const item = addItem(s, ctx, 'k', 'v');
        ItemTransitions.pause.apply(item, ctx);
        ctx.addTask(item, NotifyTask, { stamp: 1 }); // invalid at birth: dropped, never stored
      });
      expect((await allTasks(t.store)).filter((x) => x.typeName === 'tests.notify')).toHaveLength(0);
    });

    it('runs a side-effect task that re-enters with a ref, exactly once', async () => {
      sideEffectLog.length = 0;
      await createStore(t.engine, NS, 's1');
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { notify: true }));
      await t.drain();
      const item = await t.engine.read(storeTarget(NS, 's1'), (s) => asComponent(s.fields.items.get('k')!, Item).state);
      expect(item.notifiedCount).toBe(1);
      expect(sideEffectLog).toHaveLength(1);
      expect((await allTasks(t.store)).filter((x) => x.typeName === 'tests.notify')).toHaveLength(0);
    });

    it('retries a failing side effect with backoff', async () => {
      sideEffectLog.length = 0;
      await createStore(t.engine, NS, 's1');
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { notify: true, failNotify: 2 }));
      await t.drain();
      expect(sideEffectLog).toHaveLength(1);
      await t.advance(60_000);
      await t.advance(60_000);
      expect(sideEffectLog).toHaveLength(3);
      const n = await t.engine.read(storeTarget(NS, 's1'), (s) => asComponent(s.fields.items.get('k')!, Item).state.notifiedCount);
      expect(n).toBe(1);
    });

    it('refuses re-entry with a ref whose task went stale', async () => {
      await createStore(t.engine, NS, 's1');
      // A side effect that keeps failing stays outstanding (retrying with backoff).
      await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { notify: true, failNotify: 1000 }));
      await t.drain();
      const task = (await allTasks(t.store)).find((x) => x.typeName === 'tests.notify')!;
      const ref = await t.engine.prepareSideEffect(task);
      expect(ref).toBeDefined();
      await t.engine.update(storeTarget(NS, 's1'), (s) => void asComponent(s.fields.items.get('k')!, Item).state.notifyStamp++);
      await expect(t.engine.update(ref!, () => 1)).rejects.toBeInstanceOf(TaskInvalidError);
    });
  });

  describe('visibility', () => {
    it('lists and counts executions by search attributes and status', async () => {
      for (const id of ['a', 'b', 'c']) await createStore(t.engine, NS, id);
      await t.engine.update(storeTarget(NS, 'b'), (s, ctx) => {
        addItem(s, ctx, 'x', '1');
        addItem(s, ctx, 'y', '2');
      });
      await t.engine.update(storeTarget(NS, 'c'), (s) => void (s.state.closed = true));
      await t.drain();
      const page = await t.engine.list(Store, { namespaceId: NS, filter: { kind: 'compare', field: 'ItemCount', op: '>=', value: 2 } });
      expect(page.records.map((r) => r.businessId)).toEqual(['b']);
      expect(await t.engine.count(Store, { namespaceId: NS, filter: { kind: 'compare', field: 'Status', op: '=', value: 'running' } })).toBe(2);
      expect(await t.engine.count(Store, { namespaceId: NS })).toBe(3);
    });

    it('writes the record in the commit itself: listed when the call returns, no visibility task stored', async () => {
      // ADR 0032. With the task processor stopped, only the commit itself can have written the
      // record; a record written through a task would never show up, and its row would stay.
      await t.engine.processor.stop();
      await createStore(t.engine, NS, 'v');
      const byCount = (n: number) => t.engine.list(Store, { namespaceId: NS, filter: { kind: 'compare', field: 'ItemCount', op: '=', value: n } });
      expect((await byCount(0)).records.map((r) => r.businessId)).toEqual(['v']);
      await t.engine.update(storeTarget(NS, 'v'), (s, ctx) => addItem(s, ctx, 'x', '1'));
      expect((await byCount(1)).records.map((r) => r.businessId)).toEqual(['v']);
      expect((await byCount(0)).records).toEqual([]);
      expect((await allTasks(t.store)).filter((row) => row.kind === 'visibility')).toEqual([]);
    });
  });

  describe('.delete', () => {
    it('terminates a running execution and removes it', async () => {
      await createStore(t.engine, NS, 's1');
      await t.engine.delete(storeTarget(NS, 's1'));
      await expect(t.engine.read(storeTarget(NS, 's1'), (s) => s.state)).rejects.toBeInstanceOf(NotFoundError);
      expect((await createStore(t.engine, NS, 's1')).created).toBe(true);
    });
  });
});
