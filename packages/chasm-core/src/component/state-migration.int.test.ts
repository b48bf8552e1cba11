import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../persistence/database.js';
import { KyselyExecutionStore } from '../persistence/kysely-execution-store.js';
import type { Library } from '../registry/library.js';
import { definePureTask } from '../task/task-type.js';
import { testDatabases } from '../testing/test-databases.js';
import { ManualClock } from '../testing/manual-clock.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';
import { stateMachine } from '../transition.js';
import { defineComponent, type ComponentOf } from './component-type.js';

/**
 * A component type's state shape changes between releases: version 1 runs, the node restarts
 * with version 2 (same type name, new shape, `migrate`), and then with version 2 alone. Each
 * engine is a fresh process as far as CHASM knows: new registry, store, cache and shard leases
 * over the same database.
 */

const NAME = 'migr.thermostat';
const NS = 'ns';
const BUSINESS_ID = 'living-room';
const HOUR = 3_600_000;

// ------------------------------------------------------------------------------ version 1

interface StateV1 {
  status: 'open' | 'closed';
  celsius: number;
  history: number[];
}
const ThermostatV1 = defineComponent({
  name: NAME,
  lifecycle: (s: StateV1) => (s.status === 'closed' ? 'completed' : 'running'),
  searchAttributes: (s: StateV1) => ({ Celsius: s.celsius }),
});
type ThermostatV1 = ComponentOf<typeof ThermostatV1>;
const v1 = stateMachine<ThermostatV1, StateV1['status']>({ get: (c) => c.state.status, set: (c, s) => (c.state.status = s) });
const recordV1 = v1.transition<{ celsius: number }>({
  name: 'record',
  from: ['open'],
  to: 'open',
  apply: (c, _ctx, e) => {
    c.state.celsius = e.celsius;
    c.state.history.push(e.celsius);
  },
});
const CloseAtV1 = definePureTask<typeof ThermostatV1, Record<string, never>>({
  name: 'migr.closeAt',
  component: ThermostatV1,
  validate: (_ctx, c) => c.state.status === 'open',
  execute: (_ctx, c) => void (c.state.status = 'closed'),
});
const libraryV1: Library = { name: 'migr', components: [ThermostatV1], tasks: [CloseAtV1] };

// ------------------------------------------------------------------------------ version 2

interface StateV2 {
  status: 'open' | 'closed';
  temperature: { value: number; unit: 'C' | 'F' };
  readings: number;
}
const migrations: number[] = [];
function defineV2(onMigrate: (fromVersion: number) => void) {
  const ThermostatV2 = defineComponent({
    name: NAME,
    schemaVersion: 2,
    migrate: (old: unknown, fromVersion: number): StateV2 => {
      onMigrate(fromVersion);
      const s = old as StateV1;
      return { status: s.status, temperature: { value: s.celsius, unit: 'C' }, readings: s.history.length };
    },
    lifecycle: (s: StateV2) => (s.status === 'closed' ? 'completed' : 'running'),
    searchAttributes: (s: StateV2) => ({ Temperature: s.temperature.value, Unit: s.temperature.unit, Readings: s.readings }),
  });
  type ThermostatV2 = ComponentOf<typeof ThermostatV2>;
  const m = stateMachine<ThermostatV2, StateV2['status']>({ get: (c) => c.state.status, set: (c, s) => (c.state.status = s) });
  const record = m.transition<{ value: number }>({
    name: 'record',
    from: ['open'],
    to: 'open',
    apply: (c, _ctx, e) => {
      c.state.temperature.value = e.value;
      c.state.readings++;
    },
  });
  const CloseAt = definePureTask<typeof ThermostatV2, Record<string, never>>({
    name: 'migr.closeAt',
    component: ThermostatV2,
    validate: (_ctx, c) => c.state.status === 'open',
    execute: (_ctx, c) => void (c.state.status = 'closed'),
  });
  const library: Library = { name: 'migr', components: [ThermostatV2], tasks: [CloseAt] };
  return { ThermostatV2, record, library };
}

describe.each(testDatabases())('component state migration across engine restarts on $name', (tdb) => {
  let database: Database;
  const engines: TestEngine[] = [];

  beforeEach(async () => {
    database = await tdb.open();
    migrations.length = 0;
  });
  afterEach(async () => {
    for (const t of engines.splice(0)) await t.stop();
    await database.close();
  });

  /** A new "process": its own store instance, registry, cache and shard leases over the database. */
  async function startEngine(library: Library, clock: ManualClock): Promise<TestEngine> {
    const store = await KyselyExecutionStore.open(database, { shardCount: 1 });
    const t = await createTestEngine({ libraries: [library], store, clock });
    engines.push(t);
    return t;
  }
  async function stopEngine(t: TestEngine): Promise<void> {
    await t.drain();
    engines.splice(engines.indexOf(t), 1);
    await t.stop();
  }

  /** The root node's row as stored: its schema version (the first two bytes) and its JSON body. */
  async function storedRoot(): Promise<{ version: number; body: unknown }> {
    const { rows } = await sql<{ data: Uint8Array }>`
      select data from chasm_nodes where namespace_id = ${NS} and business_id = ${BUSINESS_ID} and archetype = ${NAME} and path = ''`.execute(
      database.db,
    );
    const data = rows[0]?.data;
    if (!data) throw new Error('no root row');
    return { version: (data[0]! << 8) | data[1]!, body: JSON.parse(Buffer.from(data.subarray(2)).toString('utf8')) };
  }

  it('migrates v1 state on load, a v2 transition uses it, the next commit writes v2, and v2 reads it back as is', async () => {
    const clock = new ManualClock();
    const id = { namespaceId: NS, businessId: BUSINESS_ID };

    // Version 1 starts the execution, records a reading and arms a timer for later.
    const e1 = await startEngine(libraryV1, clock);
    await e1.engine.start(ThermostatV1, id, {
      requestId: 'start-1',
      init: (): StateV1 => ({ status: 'open', celsius: 20, history: [20] }),
      run: (c, ctx) => ctx.addTask(c, CloseAtV1, {}, { at: new Date(clock.now().getTime() + HOUR / 2) }),
    });
    await e1.engine.update({ type: ThermostatV1, ...id }, (c, ctx) => recordV1.apply(c, ctx, { celsius: 21 }));
    await stopEngine(e1);
    expect(await storedRoot()).toEqual({ version: 1, body: { status: 'open', celsius: 21, history: [20, 21] } });

    // Version 2 loads it: migrate runs once, on load; a read alone writes nothing.
    const v2 = defineV2((from) => migrations.push(from));
    const target = { type: v2.ThermostatV2, ...id };
    const e2 = await startEngine(v2.library, clock);
    expect(await e2.engine.read(target, (c) => structuredClone(c.state))).toEqual({
      status: 'open',
      temperature: { value: 21, unit: 'C' },
      readings: 2,
    });
    expect(migrations).toEqual([1]);
    expect((await storedRoot()).version).toBe(1);

    // A v2 transition works on the migrated state, and its commit writes the node as v2.
    await e2.engine.update(target, (c, ctx) => v2.record.apply(c, ctx, { value: 22.5 }));
    expect(await storedRoot()).toEqual({
      version: 2,
      body: { status: 'open', temperature: { value: 22.5, unit: 'C' }, readings: 3 },
    });
    expect(migrations).toEqual([1]);
    // Visibility follows the new shape (v2's search attributes, none of v1's).
    await e2.drain();
    const listed = await e2.engine.list(v2.ThermostatV2, { namespaceId: NS });
    expect(listed.records.map((r) => r.searchAttributes)).toEqual([{ Temperature: 22.5, Unit: 'C', Readings: 3 }]);
    await stopEngine(e2);

    // The node is down while v1's timer comes due. Version 2 alone (a migrate that must not run)
    // reads the stored v2 state as it is, and the old timer fires against it.
    clock.advance(HOUR);
    const v3Migrations: number[] = [];
    const v3 = defineV2((from) => v3Migrations.push(from));
    const e3 = await startEngine(v3.library, clock);
    await e3.drain();
    const after = await e3.engine.read({ type: v3.ThermostatV2, ...id }, (c) => structuredClone(c.state));
    expect(after).toEqual({ status: 'closed', temperature: { value: 22.5, unit: 'C' }, readings: 3 });
    expect((await e3.engine.describe({ type: v3.ThermostatV2, ...id })).status).toBe('completed');
    expect(v3Migrations).toEqual([]);
    expect(await storedRoot()).toEqual({ version: 2, body: after });
  });

  it('a v2 update that changes nothing else still writes the migrated node as v2, and visibility from v2', async () => {
    const clock = new ManualClock();
    const id = { namespaceId: NS, businessId: BUSINESS_ID };
    const e1 = await startEngine(libraryV1, clock);
    await e1.engine.start(ThermostatV1, id, { requestId: 'start-1', init: (): StateV1 => ({ status: 'open', celsius: 18, history: [18] }) });
    await stopEngine(e1);
    expect((await e1.engine.list(ThermostatV1, { namespaceId: NS })).records.map((r) => r.searchAttributes)).toEqual([{ Celsius: 18 }]);

    const v2 = defineV2((from) => migrations.push(from));
    const e2 = await startEngine(v2.library, clock);
    // The function only reads: the state it sees is migrated, so the bytes (version included) differ.
    await e2.engine.update({ type: v2.ThermostatV2, ...id }, (c) => c.state.readings);
    expect(await storedRoot()).toEqual({ version: 2, body: { status: 'open', temperature: { value: 18, unit: 'C' }, readings: 1 } });
    expect(migrations).toEqual([1]);
    // The visibility record was computed from v1 state by v1's code; the commit that writes v2
    // state rewrites it from v2's, even though no search attribute value moved.
    await e2.drain();
    const listed = await e2.engine.list(v2.ThermostatV2, { namespaceId: NS });
    expect(listed.records.map((r) => r.searchAttributes)).toEqual([{ Temperature: 18, Unit: 'C', Readings: 1 }]);
  });
});
