import { afterEach, describe, expect, it } from 'vitest';
import { asComponent } from '../component/component-type.js';
import { ShardOwnershipLostError } from '../errors.js';
import type { Database } from '../persistence/database.js';
import { KyselyExecutionStore } from '../persistence/kysely-execution-store.js';
import { Registry } from '../registry/registry.js';
import { Item, addItem, createStore, referenceLibrary, storeTarget } from '../testing/reference/index.js';
import { testDatabases } from '../testing/test-databases.js';
import { ChasmEngine } from './chasm-engine.js';

const NS = 'ns-int';

function newEngine(store: KyselyExecutionStore, owner: string): ChasmEngine {
  const registry = new Registry();
  registry.register(referenceLibrary);
  return new ChasmEngine({ store, registry, owner, tasks: { deleteFlushMs: 5 } });
}

describe.each(testDatabases())('ChasmEngine integration on $name', (tdb) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  async function open(): Promise<Database> {
    const db = await tdb.open();
    cleanup.push(() => db.close());
    return db;
  }

  it('fires timers at their time on the real clock', async () => {
    const db = await open();
    const engine = newEngine(await KyselyExecutionStore.open(db, { shardCount: 2 }), 'a');
    await engine.startup();
    cleanup.push(() => engine.shutdown());
    await createStore(engine, NS, 'timers');
    const armedAt = Date.now();
    await engine.update(storeTarget(NS, 'timers'), (s, ctx) => {
      for (let i = 0; i < 5; i++) addItem(s, ctx, `i${i}`, 'v', { ttlMs: 300 + i * 50 });
    });
    const { value } = await engine.poll(storeTarget(NS, 'timers'), (s) => (s.state.expiredCount === 5 ? Date.now() : undefined), {
      deadline: new Date(Date.now() + 10_000),
    });
    expect(value).toBeDefined();
    expect(value! - armedAt).toBeGreaterThanOrEqual(500);
    const fired = await engine.read(storeTarget(NS, 'timers'), (s) => s.fields.items.keys().map((k) => asComponent(s.fields.items.get(k)!, Item).state.firedCount));
    expect(fired).toEqual([1, 1, 1, 1, 1]);
  });

  it('fences off an engine whose shards were taken: its writes fail, nothing is lost or doubled', async () => {
    const db = await open();
    const a = newEngine(await KyselyExecutionStore.open(db, { shardCount: 2 }), 'node-a');
    await a.startup();
    cleanup.push(() => a.shutdown());
    await createStore(a, NS, 'shared');

    // A increments a counter in a loop; B takes every shard midway.
    let acked = 0;
    let fenced = 0;
    const b = newEngine(await KyselyExecutionStore.open(db, { shardCount: 2 }), 'node-b');
    const loop = (async () => {
      for (let i = 0; i < 60; i++) {
        try {
          await a.update(storeTarget(NS, 'shared'), (s) => void s.state.firedTotal++);
          acked++;
        } catch (e) {
          if (e instanceof ShardOwnershipLostError || (e as Error).message.includes('not owned')) fenced++;
          else throw e;
        }
        if (i === 20) await b.startup();
      }
    })();
    await loop;
    cleanup.push(() => b.shutdown());

    expect(fenced).toBeGreaterThan(0);
    expect(acked).toBeGreaterThanOrEqual(20);
    // B sees exactly what A acknowledged: nothing lost, nothing doubled.
    expect(await b.read(storeTarget(NS, 'shared'), (s) => s.state.firedTotal)).toBe(acked);
    // And B can carry on writing.
    await b.update(storeTarget(NS, 'shared'), (s) => void s.state.firedTotal++);
    expect(await b.read(storeTarget(NS, 'shared'), (s) => s.state.firedTotal)).toBe(acked + 1);
    // A can never write again, even to start something new.
    await expect(createStore(a, NS, 'after-steal')).rejects.toThrow();
  });
});
