import { KyselyExecutionStore, type ExecutionStore } from '@chasm/core';
import { createTestEngine, MemoryExecutionStore, testDatabases, type TestEngine } from '@chasm/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseHeldError } from '../src/errors.js';
import { acquireLease, releaseLease } from '../src/lease/lease-ops.js';
import { leaseLibrary } from '../src/lease/lease-library.js';
import { Lease, newLeaseState } from '../src/lease/lease.js';

const NS = 'ns';
const target = (name: string) => ({ type: Lease, namespaceId: NS, businessId: name });

/** The component, its transitions and its timer, on every store: memory, PGlite, and Postgres when TEST_DIALECTS names it. */
const stores: { name: string; open(): Promise<{ store: ExecutionStore; close(): Promise<void> }> }[] = [
  { name: 'memory', open: async () => ({ store: new MemoryExecutionStore(), close: async () => {} }) },
  ...testDatabases().map((tdb) => ({
    name: tdb.name,
    open: async () => {
      const db = await tdb.open();
      return { store: await KyselyExecutionStore.open(db, { shardCount: 2 }), close: () => db.close() };
    },
  })),
];

describe.each(stores)('lease on $name', (factory) => {
  let t: TestEngine;
  let close: () => Promise<void>;
  beforeEach(async () => {
    const opened = await factory.open();
    close = opened.close;
    t = await createTestEngine({ libraries: [leaseLibrary], store: opened.store });
  });
  afterEach(async () => {
    await t.stop();
    await close();
  });

  const acquire = (name: string, holder: string, ttlMs: number) =>
    t.engine.updateWithStart(Lease, { namespaceId: NS, businessId: name }, { init: () => newLeaseState(name), requestId: `r-${name}` }, (l, ctx) =>
      acquireLease(l, ctx, { holder, ttlMs }),
    );

  it('grants a free lease, refuses another holder, and frees itself when the timer fires', async () => {
    const first = await acquire('db-primary', 'alice', 1_000);
    expect(first.output).toMatchObject({ status: 'held', holder: 'alice', grants: 1 });
    await expect(acquire('db-primary', 'bob', 1_000)).rejects.toBeInstanceOf(LeaseHeldError);

    await t.advance(999);
    expect(await t.engine.read(target('db-primary'), (l) => l.state.status)).toBe('held');
    await t.advance(1);
    expect(await t.engine.read(target('db-primary'), (l) => l.state)).toMatchObject({ status: 'free', holder: null });

    const second = await acquire('db-primary', 'bob', 1_000);
    expect(second.output).toMatchObject({ holder: 'bob', grants: 2 });
  });

  it('a renewal makes the earlier timer stale: it never frees the renewed lease', async () => {
    await acquire('l', 'alice', 1_000);
    await t.advance(800);
    await acquire('l', 'alice', 1_000); // renew: now expires at 1800
    await t.advance(300); // the first timer's time (1000) has passed
    expect(await t.engine.read(target('l'), (l) => l.state)).toMatchObject({ status: 'held', holder: 'alice', grants: 1 });
    await t.advance(700);
    expect(await t.engine.read(target('l'), (l) => l.state.status)).toBe('free');
  });

  it('release frees the lease for its holder only; releasing a free lease changes nothing', async () => {
    await acquire('l', 'alice', 60_000);
    await expect(t.engine.update(target('l'), (l, ctx) => releaseLease(l, ctx, 'bob'))).rejects.toBeInstanceOf(LeaseHeldError);
    await t.engine.update(target('l'), (l, ctx) => releaseLease(l, ctx, 'alice'));
    await t.engine.update(target('l'), (l, ctx) => releaseLease(l, ctx, 'alice'));
    expect(await t.engine.read(target('l'), (l) => l.state)).toMatchObject({ status: 'free', holder: null, grants: 1 });
    // The released grant's timer is stale, so it never fires on the next holder.
    await acquire('l', 'bob', 120_000);
    await t.advance(60_000);
    expect(await t.engine.read(target('l'), (l) => l.state.holder)).toBe('bob');
  });

  it('exposes typed search attributes to visibility', async () => {
    await acquire('l', 'alice', 60_000);
    await t.drain();
    const page = await t.engine.list(Lease, { namespaceId: NS });
    expect(page.records[0]?.searchAttributes).toMatchObject({ LeaseHolder: 'alice', LeaseHeld: true });
  });
});
