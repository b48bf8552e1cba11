import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asComponent } from '../component/component-type.js';
import { ChasmError, DatabaseUnavailableError, ErrorCode } from '../errors.js';
import type { CommitMutation, ExecutionKey, ShardLease } from '../persistence/store.js';
import { MemoryExecutionStore } from '../testing/memory-store.js';
import { Item, addItem, createStore, referenceLibrary, sideEffectLog, storeTarget } from '../testing/reference/index.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';

const NS = 'ns-1';

/**
 * A store whose next write fails the way a dropped connection fails it: with or without having
 * been applied, the caller only learns that the database went away (an unknown outcome).
 */
class LossyStore extends MemoryExecutionStore {
  next: 'applied' | 'not applied' | undefined;
  /** Which kind of write the next loss hits. */
  nextOp: 'commit' | 'delete' = 'commit';

  private async lossy(op: 'commit' | 'delete', write: () => Promise<void>): Promise<void> {
    const mode = op === this.nextOp ? this.next : undefined;
    if (mode !== undefined) this.next = undefined;
    if (mode === 'not applied') throw new DatabaseUnavailableError('Connection terminated unexpectedly');
    await write();
    if (mode === 'applied') throw new DatabaseUnavailableError('Connection terminated unexpectedly');
  }
  override commit(m: CommitMutation): Promise<void> {
    return this.lossy('commit', () => super.commit(m));
  }
  override deleteExecution(lease: ShardLease, key: ExecutionKey): Promise<void> {
    return this.lossy('delete', () => super.deleteExecution(lease, key));
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 30_000; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes of unknown outcome (issue 15): never assumed committed, never assumed not. */
describe('a write whose outcome is unknown', () => {
  let store: LossyStore;
  let t: TestEngine;
  beforeEach(async () => {
    store = new LossyStore();
    // The periodic scan is an hour away: only the rescan can find tasks of an unknown commit.
    t = await createTestEngine({ libraries: [referenceLibrary], store });
    sideEffectLog.length = 0;
  });
  afterEach(() => t.stop());

  const items = () => t.engine.read(storeTarget(NS, 's1'), (s) => [...s.fields.items.keys()]);

  it('that did not apply: the caller gets UNAVAILABLE and the cached execution is not kept', async () => {
    await createStore(t.engine, NS, 's1');
    store.next = 'not applied';
    const err = await t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v')).catch((e: unknown) => e);
    expect(ChasmError.is(err) && err.code === ErrorCode.Unavailable).toBe(true);
    // The in-memory tree had the item; the database does not.
    expect(await items()).toEqual([]);
  });

  it('that applied: the state is reloaded and the tasks it inserted run soon (rescan), not at the next periodic scan', async () => {
    await createStore(t.engine, NS, 's1');
    store.next = 'applied';
    await expect(t.engine.update(storeTarget(NS, 's1'), (s, ctx) => void addItem(s, ctx, 'k', 'v', { notify: true }))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(await items()).toEqual(['k']);
    // The notify side effect was never handed over in memory: the shard's rescan finds its row.
    await until(() => sideEffectLog.length === 1, 'the notify task');
    await t.drain();
    expect(await t.engine.read(storeTarget(NS, 's1'), (s) => asComponent(s.fields.items.get('k')!, Item).state.notifiedCount)).toBe(1);
  });

  it('a delete that applied: the execution is not served from the cache afterwards', async () => {
    await createStore(t.engine, NS, 's1');
    expect(await items()).toEqual([]);
    store.nextOp = 'delete';
    store.next = 'applied';
    await expect(t.engine.delete(storeTarget(NS, 's1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(items()).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});
