import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ChasmError, ConcurrentUpdateError, CurrentExecutionChangedError, ShardOwnershipLostError } from '../errors.js';
import { testDatabases } from '../testing/test-databases.js';
import { openDatabase, type Database } from './database.js';
import { KyselyExecutionStore } from './kysely-execution-store.js';
import type { CommitMutation, CreateExecution, ExecutionKey, ExecutionRow, NodeRow, ShardLease, TaskRow } from './store.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function key(businessId = 'wf-1', runId = 'run-1'): ExecutionKey {
  return { namespaceId: 'ns', businessId, archetype: 'tests.store', runId };
}

function execRow(k: ExecutionKey, over: Partial<ExecutionRow> = {}): ExecutionRow {
  return {
    ...k,
    shardId: 0,
    status: 'running',
    transitionCount: 1,
    dbVersion: 1,
    startTime: new Date('2026-11-25T12:00:00.123Z'),
    closeTime: null,
    startRequestId: `req-${k.runId}`,
    requestIds: [],
    ...over,
  };
}

function node(path: string, data: string, tc = 1): NodeRow {
  return { path, kind: path === '' ? 'component' : 'data', typeName: 'tests.t', initialTc: 1, lastUpdateTc: tc, data: bytes(data) };
}

function task(k: ExecutionKey, taskId: string, fireAt: Date | null = null, shardId = 0): TaskRow {
  return {
    ...k,
    shardId,
    taskId,
    kind: fireAt === null ? 'sideEffect' : 'pure',
    typeName: 'tests.task',
    path: '',
    componentInitialTc: 1,
    createdTc: 1,
    fireAt,
    payload: bytes(`p-${taskId}`),
  };
}

function create(lease: ShardLease, k: ExecutionKey, over: Partial<CreateExecution> = {}): CreateExecution {
  return {
    lease,
    execution: execRow(k),
    nodes: [node('', 'root'), node('a', 'A')],
    tasks: [task(k, 't1')],
    current: { mode: 'create' },
    ...over,
  };
}

function mutation(lease: ShardLease, k: ExecutionKey, expectedDbVersion: number, over: Partial<CommitMutation> = {}): CommitMutation {
  return {
    lease,
    key: k,
    expectedDbVersion,
    execution: execRow(k, { dbVersion: expectedDbVersion + 1, transitionCount: expectedDbVersion + 1 }),
    upsertNodes: [],
    deletePaths: [],
    insertTasks: [],
    deleteTaskIds: [],
    ...over,
  };
}

/**
 * Statements the database was sent since the last `reset`, from its own statistics: they see
 * every statement, through Kysely or not (writes are a named prepared statement on Postgres, ADR
 * 0055), so a count of 0 cannot pass for "grouped".
 */
function statementCounter(database: Database): { reset(): void; readonly count: number } {
  let base = database.stats.roundTrips;
  return {
    reset: () => void (base = database.stats.roundTrips),
    get count() {
      return database.stats.roundTrips - base;
    },
  };
}

/** A second connection to the same database: its own pool on Postgres, the same instance on PGlite. */
async function openSecond(database: Database): Promise<{ database: Database; close(): Promise<void> }> {
  if (database.config.kind === 'postgres') {
    const second = await openDatabase(database.config);
    return { database: second, close: () => second.close() };
  }
  return { database, close: async () => {} };
}

describe.each(testDatabases())('KyselyExecutionStore on $name', (tdb) => {
  let database: Database;
  let store: KyselyExecutionStore;
  let lease: ShardLease;

  beforeEach(async () => {
    database = await tdb.open();
    store = await KyselyExecutionStore.open(database, { shardCount: 4 });
    lease = await store.acquireShard(0, 'node-a');
  });
  afterEach(async () => {
    await store.close();
    await database.close();
  });

  it('fixes the shard count at first open and refuses another', async () => {
    expect(store.shardCount).toBe(4);
    const again = await KyselyExecutionStore.open(database, { shardCount: 4 });
    expect(again.shardCount).toBe(4);
    await expect(KyselyExecutionStore.open(database, { shardCount: 8 })).rejects.toThrow(/initialised with 4 shards/);
  });

  it('acquireShard increments the range id', async () => {
    expect(lease).toEqual({ shardId: 0, rangeId: 1 });
    expect(await store.acquireShard(0, 'node-b')).toEqual({ shardId: 0, rangeId: 2 });
    expect(await store.acquireShard(3, 'node-b')).toEqual({ shardId: 3, rangeId: 1 });
    await expect(store.acquireShard(4, 'x')).rejects.toBeInstanceOf(ChasmError);
  });

  it('sends chasm_write as a named prepared statement on Postgres, counted like any statement (ADR 0055)', async () => {
    if (database.config.kind !== 'postgres') {
      expect(database.prepare).toBeUndefined();
      return;
    }
    // One pooled connection, so the catalogue query below sees the session the writes used.
    // Off either per store or for the whole database (a pooler that drops named statements).
    const variants = [
      { preparedWrites: true, preparedStatements: true },
      { preparedWrites: false, preparedStatements: true },
      { preparedWrites: true, preparedStatements: false },
    ];
    for (const [i, v] of variants.entries()) {
      const preparedWrites = v.preparedWrites && v.preparedStatements;
      const single = await openDatabase({ ...database.config, poolSize: 1, preparedStatements: v.preparedStatements });
      try {
        expect(single.prepare === undefined).toBe(!v.preparedStatements);
        const s = await KyselyExecutionStore.open(single, { shardCount: 4, preparedWrites: v.preparedWrites });
        const l = await s.acquireShard(1, `node-${i}`);
        const k = key(`wf-prepared-${i}`);
        const before = { ...single.stats };
        await s.createExecution(create(l, k, { tasks: [task(k, `t-${i}`)] }));
        await s.commit(mutation(l, k, 1, { upsertNodes: [node('a', 'A2', 2)] }));
        // Each write: one round trip, one write transaction, prepared or not.
        expect({
          roundTrips: single.stats.roundTrips - before.roundTrips,
          transactions: single.stats.transactions - before.transactions,
          writeTransactions: single.stats.writeTransactions - before.writeTransactions,
        }).toEqual({ roundTrips: 2, transactions: 2, writeTransactions: 2 });
        expect(text((await s.loadExecution(k))?.nodes.find((n) => n.path === 'a')?.data ?? bytes(''))).toBe('A2');
        const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(single.db);
        expect(rows).toEqual(preparedWrites ? [{ name: 'chasm_write', statement: 'select chasm_write($1::jsonb) as r' }] : []);
        // A failed condition still reports as such through the prepared call.
        await expect(s.commit(mutation(l, k, 1))).rejects.toBeInstanceOf(ConcurrentUpdateError);
        await s.close();
      } finally {
        await single.close();
      }
    }
  });

  it('creates and loads an execution', async () => {
    const k = key();
    await store.createExecution(create(lease, k, { tasks: [task(k, 't2', new Date('2026-11-25T13:00:00.500Z')), task(k, 't1')] }));
    const loaded = await store.loadExecution(k);
    expect(loaded?.execution).toEqual(execRow(k));
    expect(loaded?.nodes.map((n) => [n.path, n.kind, n.typeName, n.initialTc, n.lastUpdateTc, text(n.data)])).toEqual([
      ['', 'component', 'tests.t', 1, 1, 'root'],
      ['a', 'data', 'tests.t', 1, 1, 'A'],
    ]);
    expect(loaded?.tasks.map((t) => ({ ...t, payload: text(t.payload) }))).toEqual([
      { ...task(k, 't1'), payload: 'p-t1' },
      { ...task(k, 't2', new Date('2026-11-25T13:00:00.500Z')), payload: 'p-t2' },
    ]);
    expect(await store.getCurrentExecution('ns', 'wf-1', 'tests.store')).toEqual({
      namespaceId: 'ns',
      businessId: 'wf-1',
      archetype: 'tests.store',
      runId: 'run-1',
      status: 'running',
      startRequestId: 'req-run-1',
    });
    expect(await store.loadExecution(key('wf-1', 'nope'))).toBeUndefined();
    expect(await store.getCurrentExecution('ns', 'nope', 'tests.store')).toBeUndefined();
  });

  it('round-trips large binary node data', async () => {
    const k = key();
    const big = new Uint8Array(300_000).map((_, i) => (i * 31) % 256);
    await store.createExecution(create(lease, k, { nodes: [{ ...node('', ''), data: big }], tasks: [] }));
    const loaded = await store.loadExecution(k);
    expect(Buffer.from(loaded?.nodes[0]?.data ?? []).equals(Buffer.from(big))).toBe(true);
  });

  it('create mode fails when a current execution exists', async () => {
    const k = key();
    await store.createExecution(create(lease, k));
    const k2 = key('wf-1', 'run-2');
    await expect(store.createExecution(create(lease, k2))).rejects.toBeInstanceOf(CurrentExecutionChangedError);
    // Nothing of the second run was written.
    expect(await store.loadExecution(k2)).toBeUndefined();
    expect((await store.getCurrentExecution('ns', 'wf-1', 'tests.store'))?.runId).toBe('run-1');
  });

  it('replace mode swaps the current row only from the expected previous run', async () => {
    const k1 = key();
    await store.createExecution(create(lease, k1));
    await store.commit(mutation(lease, k1, 1, { execution: execRow(k1, { status: 'completed', dbVersion: 2 }), currentStatus: 'completed' }));
    expect((await store.getCurrentExecution('ns', 'wf-1', 'tests.store'))?.status).toBe('completed');

    const k2 = key('wf-1', 'run-2');
    const k3 = key('wf-1', 'run-3');
    await expect(
      store.createExecution(create(lease, k3, { tasks: [task(k3, 't3')], current: { mode: 'replace', previousRunId: 'run-x' } })),
    ).rejects.toBeInstanceOf(CurrentExecutionChangedError);
    expect(await store.loadExecution(k3)).toBeUndefined();

    await store.createExecution(create(lease, k2, { tasks: [task(k2, 't2')], current: { mode: 'replace', previousRunId: 'run-1' } }));
    expect(await store.getCurrentExecution('ns', 'wf-1', 'tests.store')).toMatchObject({ runId: 'run-2', status: 'running', startRequestId: 'req-run-2' });
    expect((await store.loadExecution(k2))?.nodes).toHaveLength(2);
    expect((await store.loadExecution(k1))?.execution.status).toBe('completed');
  });

  it('commit upserts and deletes nodes, inserts and deletes tasks, updates the execution', async () => {
    const k = key();
    await store.createExecution(create(lease, k, { nodes: [node('', 'root'), node('a', 'A'), node('b', 'B')] }));
    const closeTime = new Date('2026-11-25T14:00:00.000Z');
    await store.commit(
      mutation(lease, k, 1, {
        execution: execRow(k, { dbVersion: 2, transitionCount: 2, status: 'completed', closeTime, requestIds: ['r1', 'r2'] }),
        upsertNodes: [node('', 'root2', 2), node('c', 'C', 2)],
        deletePaths: ['a'],
        insertTasks: [task(k, 't9', new Date('2026-11-25T15:00:00.000Z'))],
        deleteTaskIds: ['t1'],
      }),
    );
    const loaded = await store.loadExecution(k);
    expect(loaded?.execution).toEqual(
      execRow(k, { dbVersion: 2, transitionCount: 2, status: 'completed', closeTime, requestIds: ['r1', 'r2'] }),
    );
    expect(loaded?.nodes.map((n) => [n.path, text(n.data), n.lastUpdateTc])).toEqual([
      ['', 'root2', 2],
      ['b', 'B', 1],
      ['c', 'C', 2],
    ]);
    expect(loaded?.tasks.map((t) => t.taskId)).toEqual(['t9']);
    // Without currentStatus the current row is left alone.
    expect((await store.getCurrentExecution('ns', 'wf-1', 'tests.store'))?.status).toBe('running');
  });

  it('commit tolerates overlapping batches (dedupes instead of touching a row twice)', async () => {
    const k = key();
    await store.createExecution(create(lease, k));
    await store.commit(
      mutation(lease, k, 1, {
        upsertNodes: [node('x', 'x1', 2), node('x', 'x2', 2), node('a', 'A2', 2)],
        deletePaths: ['a', 'a'],
        insertTasks: [task(k, 'n1'), task(k, 'n1'), task(k, 'n2')],
        deleteTaskIds: ['n2', 't1', 't1'],
      }),
    );
    const loaded = await store.loadExecution(k);
    expect(loaded?.nodes.map((n) => [n.path, text(n.data)])).toEqual([
      ['', 'root'],
      ['a', 'A2'],
      ['x', 'x2'],
    ]);
    expect(loaded?.tasks.map((t) => t.taskId)).toEqual(['n1']);
  });

  it('a commit with a stale db version throws ConcurrentUpdateError and writes nothing', async () => {
    const k = key();
    await store.createExecution(create(lease, k));
    await store.commit(mutation(lease, k, 1));
    await expect(
      store.commit(
        mutation(lease, k, 1, {
          upsertNodes: [node('z', 'Z')],
          deletePaths: ['a'],
          insertTasks: [task(k, 'late')],
          deleteTaskIds: ['t1'],
          currentStatus: 'failed',
        }),
      ),
    ).rejects.toBeInstanceOf(ConcurrentUpdateError);
    const loaded = await store.loadExecution(k);
    expect(loaded?.execution.dbVersion).toBe(2);
    expect(loaded?.nodes.map((n) => n.path)).toEqual(['', 'a']);
    expect(loaded?.tasks.map((t) => t.taskId)).toEqual(['t1']);
    expect((await store.getCurrentExecution('ns', 'wf-1', 'tests.store'))?.status).toBe('running');
    // A commit on an execution that does not exist is a concurrency failure too.
    await expect(store.commit(mutation(lease, key('nope'), 1))).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });

  it('deleteExecution removes everything of the run', async () => {
    const k = key();
    await store.createExecution(create(lease, k));
    await store.writeVisibility(
      lease,
      [{ ...k, status: 'running', startTime: new Date(), closeTime: null, searchAttributes: {}, memo: null, transitionCount: 1 }],
      [],
    );
    await store.deleteExecution(lease, k);
    expect(await store.loadExecution(k)).toBeUndefined();
    expect(await store.getCurrentExecution('ns', 'wf-1', 'tests.store')).toBeUndefined();
    expect(await store.scanTasks({ shardId: 0, dueBefore: new Date('2100-01-01'), limit: 10 })).toEqual([]);
    expect(await store.countVisibility({ namespaceId: 'ns', archetype: 'tests.store' })).toBe(0);
    const rows = await database.db.selectFrom('chasm_nodes').select('path').execute();
    expect(rows).toEqual([]);
  });

  it('deleteExecution keeps a current row that points at another run', async () => {
    const k1 = key();
    await store.createExecution(create(lease, k1));
    await store.commit(mutation(lease, k1, 1, { execution: execRow(k1, { status: 'completed', dbVersion: 2 }), currentStatus: 'completed' }));
    const k2 = key('wf-1', 'run-2');
    await store.createExecution(create(lease, k2, { tasks: [task(k2, 't2')], current: { mode: 'replace', previousRunId: 'run-1' } }));
    await store.deleteExecution(lease, k1);
    expect((await store.loadExecution(k2))?.tasks.map((t) => t.taskId)).toEqual(['t2']);
    expect((await store.getCurrentExecution('ns', 'wf-1', 'tests.store'))?.runId).toBe('run-2');
    expect(await store.loadExecution(k2)).toBeDefined();
  });

  it('scanTasks returns due tasks, immediate first, then by time and id, with keyset paging', async () => {
    const k = key();
    const t = (m: number) => new Date(Date.UTC(2026, 10, 25, 12, m));
    const tasks = [
      task(k, 'b', null),
      task(k, 'a', null),
      task(k, 'd', t(5)),
      task(k, 'c', t(5)),
      task(k, 'e', t(1)),
      task(k, 'late', t(30)),
    ];
    await store.createExecution(create(lease, k, { tasks }));
    // A task of another shard never shows up.
    const other = await store.acquireShard(1, 'node-a');
    const k2 = key('wf-2');
    await store.createExecution(create(other, k2, { execution: execRow(k2, { shardId: 1 }), tasks: [task(k2, 'a', null, 1)] }));

    const all = await store.scanTasks({ shardId: 0, dueBefore: t(10), limit: 100 });
    expect(all.map((x) => x.taskId)).toEqual(['a', 'b', 'e', 'c', 'd']);

    const pages: string[][] = [];
    let after: { fireAt: Date | null; taskId: string } | undefined;
    for (;;) {
      const page = await store.scanTasks({ shardId: 0, dueBefore: t(10), limit: 2, ...(after ? { after } : {}) });
      if (page.length === 0) break;
      pages.push(page.map((x) => x.taskId));
      const last = page[page.length - 1]!;
      after = { fireAt: last.fireAt, taskId: last.taskId };
    }
    expect(pages).toEqual([['a', 'b'], ['e', 'c'], ['d']]);
    expect((await store.scanTasks({ shardId: 0, dueBefore: t(5), limit: 100 })).map((x) => x.taskId)).toEqual(['a', 'b', 'e', 'c', 'd']);
    expect((await store.scanTasks({ shardId: 0, dueBefore: t(0), limit: 100 })).map((x) => x.taskId)).toEqual(['a', 'b']);

    await store.deleteTasks(lease, ['a', 'e', 'missing']);
    expect((await store.scanTasks({ shardId: 0, dueBefore: t(60), limit: 100 })).map((x) => x.taskId)).toEqual(['b', 'c', 'd', 'late']);
    expect((await store.scanTasks({ shardId: 1, dueBefore: t(60), limit: 100 })).map((x) => x.taskId)).toEqual(['a']);
  });

  it('finished tasks riding in a commit are deleted whether or not its own condition holds', async () => {
    const k1 = key('ride-1');
    const k2 = key('ride-2');
    await store.createExecution(create(lease, k1, { tasks: [task(k1, 'r1'), task(k1, 'r2')] }));
    await store.createExecution(create(lease, k2, { tasks: [task(k2, 'r3'), task(k2, 'r4')] }));
    const ids = async () => (await store.scanTasks({ shardId: 0, dueBefore: new Date(Date.now() + 60_000), limit: 100 })).map((x) => x.taskId);
    // Another execution's commit of the same shard carries them.
    await store.commit(mutation(lease, k2, 1, { finishedTaskIds: ['r1', 'missing'] }));
    expect(await ids()).toEqual(['r2', 'r3', 'r4']);
    // A commit whose db version no longer matches changes nothing of its own, but the fence held.
    await expect(store.commit(mutation(lease, k2, 1, { finishedTaskIds: ['r2'], deleteTaskIds: ['r3'] }))).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect(await ids()).toEqual(['r3', 'r4']);
  });

  it('group commit: concurrent writes share statements, and each keeps its own conditions and errors', async () => {
    const statements = statementCounter(database);
    // One write statement in flight at a time, so everything submitted meanwhile joins the next one.
    const grouped = await KyselyExecutionStore.open(database, { shardCount: 4, maxWritesInFlight: 1, maxWritesPerStatement: 64 });
    const keys = Array.from({ length: 20 }, (_, i) => key(`g-${i}`));
    statements.reset();
    await Promise.all(keys.map((k) => grouped.createExecution(create(lease, k, { tasks: [task(k, `t-${k.businessId}`)] }))));
    expect(statements.count).toBeLessThanOrEqual(2);
    expect(grouped.writeStats.writes).toBe(20);

    // Mixed outcomes in one round: good commits, stale versions, a duplicate create and a stale
    // lease. Each caller gets its own answer; nothing of a failed write is applied.
    const newLease = await grouped.acquireShard(1, 'node-a');
    const staleLease = { shardId: 1, rangeId: newLease.rangeId - 1 };
    const other = key('on-shard-1');
    statements.reset();
    const results = await Promise.allSettled([
      ...keys.map((k, i) =>
        grouped.commit(
          mutation(lease, k, i % 2 === 0 ? 1 : 5, { upsertNodes: [node('a', `A-${i}`, 2)], insertTasks: [task(k, `n-${k.businessId}`)] }),
        ),
      ),
      grouped.createExecution(create(lease, keys[0]!, { execution: execRow({ ...keys[0]!, runId: 'run-2' }) })),
      grouped.createExecution(create(staleLease, other, { execution: execRow(other, { shardId: 1 }), tasks: [] })),
      grouped.writeVisibility(
        lease,
        keys.map((k) => ({ ...k, status: 'running' as const, startTime: new Date(), closeTime: null, searchAttributes: {}, memo: null, transitionCount: 2 })),
        [],
      ),
    ]);
    expect(statements.count).toBeLessThanOrEqual(2);
    results.slice(0, 20).forEach((r, i) => {
      if (i % 2 === 0) expect(r.status).toBe('fulfilled');
      else expect(r.status === 'rejected' && r.reason instanceof ConcurrentUpdateError).toBe(true);
    });
    const dup = results[20]!;
    expect(dup.status === 'rejected' && dup.reason instanceof CurrentExecutionChangedError).toBe(true);
    const fenced = results[21]!;
    expect(fenced.status === 'rejected' && fenced.reason instanceof ShardOwnershipLostError).toBe(true);
    expect(results[22]!.status).toBe('fulfilled');
    for (const [i, k] of keys.entries()) {
      const loaded = await grouped.loadExecution(k);
      expect(text(loaded!.nodes.find((n) => n.path === 'a')!.data)).toBe(i % 2 === 0 ? `A-${i}` : 'A');
      expect(loaded!.tasks.map((t) => t.taskId).sort()).toEqual(i % 2 === 0 ? [`n-${k.businessId}`, `t-${k.businessId}`] : [`t-${k.businessId}`]);
      expect(loaded!.execution.dbVersion).toBe(i % 2 === 0 ? 2 : 1);
    }
    expect(await grouped.loadExecution({ ...keys[0]!, runId: 'run-2' })).toBeUndefined();
    expect(await grouped.loadExecution(other)).toBeUndefined();
    expect(await grouped.countVisibility({ namespaceId: 'ns', archetype: 'tests.store' })).toBe(20);
    expect(grouped.writeStats.isolations).toBe(0);
  });

  it('group commit applies writes of the same rows one after another within one call', async () => {
    const grouped = await KyselyExecutionStore.open(database, { shardCount: 4, maxWritesInFlight: 1 });
    const k = key('same');
    await grouped.createExecution(create(lease, k));
    const vis = (tc: number) => ({ ...k, status: 'running' as const, startTime: new Date(), closeTime: null, searchAttributes: { n: tc }, memo: null, transitionCount: tc });
    // The same visibility row and the same task row from several writes at once.
    await Promise.all([
      grouped.writeVisibility(lease, [vis(2)], ['t1']),
      grouped.writeVisibility(lease, [vis(4)], ['t1']),
      grouped.writeVisibility(lease, [vis(3)], []),
      grouped.deleteTasks(lease, ['t1']),
    ]);
    const page = await grouped.listVisibility({ namespaceId: 'ns', archetype: 'tests.store', pageSize: 10 });
    expect(page.records.map((r) => r.transitionCount)).toEqual([4]);
    expect((await grouped.loadExecution(k))!.tasks).toEqual([]);
    // A joined call that failed as a whole would have been retried write by write.
    expect(grouped.writeStats.isolations).toBe(0);
  });

  it('group commit joins writes submitted from separate event-loop callbacks, as requests off the network are', async () => {
    const statements = statementCounter(database);
    const grouped = await KyselyExecutionStore.open(database, { shardCount: 4, maxWritesInFlight: 1 });
    const keys = Array.from({ length: 20 }, (_, i) => key(`cb-${i}`));
    statements.reset();
    // Each create starts in its own macrotask. On PGlite a statement runs synchronously on this
    // thread, so without waiting a turn each callback's write would have run alone (20 statements).
    await Promise.all(
      keys.map(
        (k) =>
          new Promise<void>((resolve, reject) => {
            setImmediate(() => void grouped.createExecution(create(lease, k, { tasks: [] })).then(resolve, reject));
          }),
      ),
    );
    expect(statements.count).toBeLessThanOrEqual(2);
    expect(grouped.writeStats.writes).toBe(20);
    for (const k of keys) expect((await grouped.loadExecution(k))?.execution.dbVersion).toBe(1);
  });

  it('group commit opens another statement while one runs only once enough writes are queued', async () => {
    const grouped = await KyselyExecutionStore.open(database, { shardCount: 4, maxWritesInFlight: 3, writeOverlapAt: 8 });
    // A shallow queue (4 behind the first write) waits for the running statement and joins the next.
    const few = Array.from({ length: 5 }, (_, i) => key(`ov-few-${i}`));
    await Promise.all(few.map((k) => grouped.createExecution(create(lease, k, { tasks: [] }))));
    expect(grouped.writeStats.statements).toBeLessThanOrEqual(2);
    expect(grouped.writeStats.overlaps).toBe(0);
    // A deep one overlaps: on Postgres the 9th write submitted meanwhile opens a second statement.
    // (PGlite waits one turn before each statement, so there everything joins the first one.)
    const many = Array.from({ length: 40 }, (_, i) => key(`ov-many-${i}`));
    await Promise.all(many.map((k) => grouped.createExecution(create(lease, k, { tasks: [] }))));
    if (database.config.kind === 'postgres') expect(grouped.writeStats.overlaps).toBeGreaterThan(0);
    expect(grouped.writeStats.writes).toBe(45);
    expect(grouped.writeStats.isolations).toBe(0);
    for (const k of [...few, ...many]) expect((await grouped.loadExecution(k))?.execution.dbVersion).toBe(1);
  });

  it('commit costs one statement, and so do create, delete and visibility writes', async () => {
    const statements = statementCounter(database);
    const stmts = (): number => {
      const n = statements.count;
      statements.reset();
      return n;
    };
    const counted = await KyselyExecutionStore.open(database, { shardCount: 4 });
    const k = key();
    stmts();
    await counted.createExecution(create(lease, k));
    expect(stmts()).toBe(1);
    await counted.commit(
      mutation(lease, k, 1, {
        upsertNodes: [node('', 'r', 2), node('n', 'N', 2)],
        deletePaths: ['a'],
        insertTasks: [task(k, 'x')],
        deleteTaskIds: ['t1'],
        currentStatus: 'running',
      }),
    );
    expect(stmts()).toBe(1);
    await counted.loadExecution(k);
    expect(stmts()).toBe(1);
    await counted.writeVisibility(
      lease,
      [{ ...k, status: 'running', startTime: new Date(), closeTime: null, searchAttributes: {}, memo: null, transitionCount: 2 }],
      ['x'],
    );
    expect(stmts()).toBe(1);
    await counted.deleteExecution(lease, k);
    expect(stmts()).toBe(1);
  });

  describe('fencing', () => {
    it('a stolen shard fences off every write of the old owner', async () => {
      const second = await openSecond(database);
      try {
        const storeB = await KyselyExecutionStore.open(second.database, { shardCount: 4 });
        const k = key();
        await store.createExecution(create(lease, k));
        await store.writeVisibility(
          lease,
          [{ ...k, status: 'running', startTime: new Date(), closeTime: null, searchAttributes: { v: 1 }, memo: null, transitionCount: 1 }],
          [],
        );

        const leaseB = await storeB.acquireShard(0, 'node-b');
        expect(leaseB.rangeId).toBe(lease.rangeId + 1);

        const lost = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(ShardOwnershipLostError);
        await lost(
          store.commit(
            mutation(lease, k, 1, {
              upsertNodes: [node('a', 'A-from-A', 2)],
              deletePaths: [''],
              insertTasks: [task(k, 'fromA')],
              deleteTaskIds: ['t1'],
              currentStatus: 'failed',
            }),
          ),
        );
        // Even with the wrong db version, a lost lease is what gets reported.
        await lost(store.commit(mutation(lease, k, 7)));
        // Finished tasks riding along are fenced too (ADR 0039).
        await lost(store.commit(mutation(lease, k, 7, { finishedTaskIds: ['t1'] })));
        await lost(store.createExecution(create(lease, key('wf-a'))));
        await lost(store.deleteTasks(lease, ['t1']));
        await lost(
          store.writeVisibility(
            lease,
            [{ ...k, status: 'failed', startTime: new Date(), closeTime: null, searchAttributes: { v: 2 }, memo: null, transitionCount: 9 }],
            ['t1'],
          ),
        );
        await lost(store.deleteExecution(lease, k));

        // Nothing of A's attempts is visible.
        const loaded = await storeB.loadExecution(k);
        expect(loaded?.execution.dbVersion).toBe(1);
        expect(loaded?.nodes.map((n) => [n.path, text(n.data)])).toEqual([
          ['', 'root'],
          ['a', 'A'],
        ]);
        expect(loaded?.tasks.map((t) => t.taskId)).toEqual(['t1']);
        expect(await storeB.loadExecution(key('wf-a'))).toBeUndefined();
        expect((await storeB.getCurrentExecution('ns', 'wf-1', 'tests.store'))?.status).toBe('running');
        const vis = await storeB.listVisibility({ namespaceId: 'ns', archetype: 'tests.store', pageSize: 10 });
        expect(vis.records.map((r) => [r.status, r.searchAttributes, r.transitionCount])).toEqual([['running', { v: 1 }, 1]]);

        // The new owner carries on.
        await storeB.commit(mutation(leaseB, k, 1, { upsertNodes: [node('a', 'A-from-B', 2)], deleteTaskIds: ['t1'] }));
        await storeB.createExecution(create(leaseB, key('wf-b')));
        await storeB.deleteTasks(leaseB, ['t1']);
        await storeB.writeVisibility(
          leaseB,
          [{ ...k, status: 'running', startTime: new Date(), closeTime: null, searchAttributes: { v: 3 }, memo: null, transitionCount: 2 }],
          [],
        );
        const after = await storeB.loadExecution(k);
        expect(after?.execution.dbVersion).toBe(2);
        expect(text(after?.nodes.find((n) => n.path === 'a')?.data ?? bytes(''))).toBe('A-from-B');
        // Other shards of A are unaffected.
        const lease1 = await store.acquireShard(1, 'node-a');
        const k1 = key('wf-other');
        await store.createExecution(create(lease1, k1, { execution: execRow(k1, { shardId: 1 }), tasks: [task(k1, 'z', null, 1)] }));
      } finally {
        await second.close();
      }
    });

    it('a steal in the middle of a commit loop: every commit of the old owner applied before it, none after', async () => {
      const second = await openSecond(database);
      try {
        const storeB = await KyselyExecutionStore.open(second.database, { shardCount: 4 });
        const k = key();
        await store.createExecution(create(lease, k, { tasks: [] }));

        const acknowledged: number[] = [];
        let failedAt: number | undefined;
        let steal: Promise<ShardLease> | undefined;
        for (let v = 1; v <= 400 && failedAt === undefined; v++) {
          // Mid-way, B steals the shard concurrently with A's next commits (not awaited here).
          if (v === 6) steal = storeB.acquireShard(0, 'node-b');
          try {
            await store.commit(mutation(lease, k, v, { upsertNodes: [node('a', `A${v + 1}`, v + 1)], insertTasks: [task(k, `a-${v + 1}`)] }));
            acknowledged.push(v + 1);
          } catch (e) {
            expect(e).toBeInstanceOf(ShardOwnershipLostError);
            failedAt = v;
          }
        }
        const leaseB = await steal!;
        // A fenced-off writer never succeeds again, whatever it tries.
        await expect(store.commit(mutation(lease, k, acknowledged.length + 1))).rejects.toBeInstanceOf(ShardOwnershipLostError);

        expect(failedAt).toBeDefined();
        const loaded = await storeB.loadExecution(k);
        const lastAck = acknowledged[acknowledged.length - 1]!;
        // Every acknowledged commit is there, and nothing after the last acknowledged one.
        expect(loaded?.execution.dbVersion).toBe(lastAck);
        expect(acknowledged).toEqual(Array.from({ length: lastAck - 1 }, (_, i) => i + 2));
        expect(text(loaded?.nodes.find((n) => n.path === 'a')?.data ?? bytes(''))).toBe(`A${lastAck}`);
        expect(loaded?.tasks.map((t) => t.taskId).sort()).toEqual(acknowledged.map((v) => `a-${v}`).sort());

        // B continues from exactly that state.
        await storeB.commit(mutation(leaseB, k, lastAck, { upsertNodes: [node('a', 'B', lastAck + 1)] }));
        expect((await storeB.loadExecution(k))?.execution.dbVersion).toBe(lastAck + 1);
      } finally {
        await second.close();
      }
    });

    it('many concurrent writers: once the steal returns no old-owner commit succeeds, and the stored state is exactly what was acknowledged', async () => {
      const second = await openSecond(database);
      try {
        const storeB = await KyselyExecutionStore.open(second.database, { shardCount: 4 });
        const keys = Array.from({ length: 8 }, (_, i) => key(`race-${i}`));
        for (const k of keys) await store.createExecution(create(lease, k, { tasks: [] }));

        let totalAcks = 0;
        let steal: Promise<ShardLease> | undefined;
        let stealReturned = false;
        const violations: string[] = [];
        const acks = await Promise.all(
          keys.map(async (k) => {
            const acked: number[] = [];
            for (let v = 1; v <= 200; v++) {
              if (++totalAcks === 40) {
                steal = storeB.acquireShard(0, 'node-b').then((l) => {
                  stealReturned = true;
                  return l;
                });
              }
              const startedAfterSteal = stealReturned;
              try {
                await store.commit(mutation(lease, k, v, { upsertNodes: [node('a', `${v + 1}`, v + 1)], insertTasks: [task(k, `${k.businessId}-${v + 1}`)] }));
                if (startedAfterSteal) violations.push(`${k.businessId}@${v}`);
                acked.push(v + 1);
              } catch (e) {
                expect(e).toBeInstanceOf(ShardOwnershipLostError);
                return acked;
              }
            }
            return acked;
          }),
        );
        await steal;
        expect(violations).toEqual([]);
        for (const [i, k] of keys.entries()) {
          const acked = acks[i]!;
          const loaded = await storeB.loadExecution(k);
          expect(loaded?.execution.dbVersion).toBe(1 + acked.length);
          expect(text(loaded?.nodes.find((n) => n.path === 'a')?.data ?? bytes('A'))).toBe(acked.length === 0 ? 'A' : `${1 + acked.length}`);
          expect(loaded?.tasks.map((t) => t.taskId).sort()).toEqual(acked.map((v) => `${k.businessId}-${v}`).sort());
        }
        // The steal happened mid-way: some writers were cut off before finishing.
        expect(acks.some((a) => a.length < 200)).toBe(true);
      } finally {
        await second.close();
      }
    });
  });
});
