/**
 * Write-call benchmark (ADR 0055): the cost of one `chasm_write` call as a named prepared
 * statement against the same call through Kysely as an unnamed statement, measured back to back
 * in one process on one Postgres, so a noisy machine's load falls on both alike.
 *
 * Two stores on the same database, each with a one-connection pool (so each has exactly one
 * backend whose CPU can be read from /proc), write commits shaped like a workflow's (the root
 * component's ~1.5 KB state, a history batch, one new task, the previous task deleted),
 * alternating blocks of writes between the two variants. Per write: this process's CPU (driver,
 * Kysely, JSON), the backend's CPU and wall time. `--concurrency C` runs C writers per block, so
 * group commit joins their writes (fewer calls, the per-call saving spread over more writes).
 *
 *   BENCH_POSTGRES_URL=… node packages/chasm-core/dist/bench/write-call.bench.js
 *     [--writes N per block] [--rounds R] [--concurrency C]
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../persistence/database.js';
import { KyselyExecutionStore } from '../persistence/kysely-execution-store.js';
import type { ExecutionKey, ExecutionRow, NodeRow, ShardLease, TaskRow } from '../persistence/store.js';
import { processCpuMs } from '../testing/process-cpu.js';
import { runBench, withBenchPostgres } from '../testing/bench-kit.js';
import { fmt } from './bench-util.js';

const { values } = parseArgs({ options: { writes: { type: 'string' }, rounds: { type: 'string' }, concurrency: { type: 'string' } } });
const WRITES = Number(values.writes ?? 600);
const ROUNDS = Number(values.rounds ?? 5);
const CONCURRENCY = Number(values.concurrency ?? 1);

interface Variant {
  readonly name: string;
  readonly database: Database;
  readonly store: KyselyExecutionStore;
  readonly lease: ShardLease;
  /** The pool closes a connection idle for 10 s (pg's default), so it is looked up per block. */
  backendPid: number;
  readonly keys: ExecutionKey[];
  /** Per execution: db version and the id of the task written last. */
  readonly state: { version: number; lastTask: string }[];
  readonly totals: { clientMs: number; backendMs: number; wallMs: number; writes: number };
}

const state = JSON.stringify({
  workflowId: 'wf',
  status: 'running',
  history: Array.from({ length: 12 }, (_, i) => ({ id: i, type: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', at: '2026-12-06T23:00:00.000Z' })),
  pad: 'x'.repeat(400),
});
const rootBytes = new TextEncoder().encode(state);
const batchBytes = new Uint8Array(180).map((_, i) => (i * 37) % 256);

function execRow(k: ExecutionKey, shardId: number, version: number): ExecutionRow {
  return {
    ...k,
    shardId,
    status: 'running',
    transitionCount: version,
    dbVersion: version,
    startTime: new Date('2026-12-06T23:00:00.000Z'),
    closeTime: null,
    startRequestId: `req-${k.businessId}`,
    requestIds: [],
  };
}

function node(path: string, data: Uint8Array, tc: number): NodeRow {
  return { path, kind: path === '' ? 'component' : 'data', typeName: 'bench.t', initialTc: 1, lastUpdateTc: tc, data };
}

function task(k: ExecutionKey, shardId: number, taskId: string, tc: number): TaskRow {
  return {
    ...k,
    shardId,
    taskId,
    kind: 'pure',
    typeName: 'bench.timeout',
    path: '',
    componentInitialTc: 1,
    createdTc: tc,
    fireAt: new Date('2026-12-07T00:00:00.000Z'),
    payload: new Uint8Array([1, 2, 3, 4]),
  };
}

async function open(url: string, name: string, preparedWrites: boolean, shardId: number): Promise<Variant> {
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  const store = await KyselyExecutionStore.open(database, { shardCount: 4, preparedWrites });
  const lease = await store.acquireShard(shardId, name);
  const keys: ExecutionKey[] = [];
  const st: { version: number; lastTask: string }[] = [];
  for (let i = 0; i < Math.max(CONCURRENCY, 1); i++) {
    const k = { namespaceId: 'bench', businessId: `${name}-${i}`, archetype: 'bench.wf', runId: `run-${i}` };
    const first = `${name}-${i}-t0`;
    await store.createExecution({
      lease,
      execution: execRow(k, shardId, 1),
      nodes: [node('', rootBytes, 1)],
      tasks: [task(k, shardId, first, 1)],
      current: { mode: 'create' },
    });
    keys.push(k);
    st.push({ version: 1, lastTask: first });
  }
  return { name, database, store, lease, backendPid: await backendPidOf(database), keys, state: st, totals: { clientMs: 0, backendMs: 0, wallMs: 0, writes: 0 } };
}

async function backendPidOf(database: Database): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
  return rows[0]!.pid;
}

let seq = 0;
async function oneWrite(v: Variant, i: number): Promise<void> {
  const k = v.keys[i]!;
  const s = v.state[i]!;
  const next = s.version + 1;
  const id = `${k.businessId}-t${++seq}`;
  await v.store.commit({
    lease: v.lease,
    key: k,
    expectedDbVersion: s.version,
    execution: execRow(k, v.lease.shardId, next),
    upsertNodes: [node('', rootBytes, next), node(`history/${String(next).padStart(10, '0')}`, batchBytes, next)],
    deletePaths: [],
    insertTasks: [task(k, v.lease.shardId, id, next)],
    deleteTaskIds: [s.lastTask],
  });
  s.version = next;
  s.lastTask = id;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const backendMs = (pid: number): number => {
  const c = processCpuMs(pid);
  return c ? c.user + c.system : 0;
};

async function block(v: Variant): Promise<{ clientUs: number; backendUs: number; wallUs: number }> {
  v.backendPid = await backendPidOf(v.database);
  const c0 = cpuMs();
  const b0 = backendMs(v.backendPid);
  const t0 = performance.now();
  let left = WRITES;
  await Promise.all(
    v.keys.map(async (_, i) => {
      while (left > 0) {
        left--;
        await oneWrite(v, i);
      }
    }),
  );
  const wall = performance.now() - t0;
  const client = cpuMs() - c0;
  const backend = backendMs(v.backendPid) - b0;
  Object.assign(v.totals, {
    clientMs: v.totals.clientMs + client,
    backendMs: v.totals.backendMs + backend,
    wallMs: v.totals.wallMs + wall,
    writes: v.totals.writes + WRITES,
  });
  return { clientUs: (client * 1000) / WRITES, backendUs: (backend * 1000) / WRITES, wallUs: (wall * 1000) / WRITES };
}

runBench(async () => {
  await withBenchPostgres('chasm_write_call', async (pg) => {
    const prepared = await open(pg.url, 'prepared', true, 0);
    const unnamed = await open(pg.url, 'unnamed', false, 1);
    console.log(`write-call bench: ${WRITES} writes per block, ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
    // Warm-up: plans, JIT, the prepared statement's parse on its connection.
    for (const v of [unnamed, prepared]) {
      await block(v);
      Object.assign(v.totals, { clientMs: 0, backendMs: 0, wallMs: 0, writes: 0 });
    }
    const statementsBefore = [unnamed, prepared].map((v) => v.store.writeStats.statements);
    console.log('| round | variant | client CPU µs/write | Postgres backend CPU µs/write | wall µs/write |');
    console.log('| --- | --- | --- | --- | --- |');
    for (let r = 1; r <= ROUNDS; r++) {
      // Alternate which goes first, so a load change inside a round does not favour one.
      const order = r % 2 === 1 ? [unnamed, prepared] : [prepared, unnamed];
      for (const v of order) {
        const b = await block(v);
        console.log(`| ${r} | ${v.name} | ${fmt(b.clientUs)} | ${fmt(b.backendUs)} | ${fmt(b.wallUs)} |`);
      }
    }
    for (const [i, v] of [unnamed, prepared].entries()) {
      const t = v.totals;
      const calls = v.store.writeStats.statements - statementsBefore[i]!;
      console.log(
        `${v.name}: client ${fmt((t.clientMs * 1000) / t.writes)} µs, backend ${fmt((t.backendMs * 1000) / t.writes)} µs, wall ${fmt((t.wallMs * 1000) / t.writes)} µs per write; ${fmt(t.writes / calls)} writes per call`,
      );
    }
    for (const v of [unnamed, prepared]) {
      await v.store.close();
      await v.database.close();
    }
  });
});
