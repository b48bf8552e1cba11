/**
 * Standalone activity benchmark: activities started-to-completed per second with the official
 * SDK client and worker, start latency, and commits per activity, on PGlite and on Postgres.
 *
 *   node packages/standalone-activity/dist/bench/activity.bench.js        (pnpm bench activity)
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres  BENCH_ACTIVITIES=2000
 *   BENCH_BACKENDS=pglite,postgres (either or both)  BENCH_LATENCY_SAMPLES=200  BENCH_CONCURRENCY=64  BENCH_POLLERS=8
 *   BENCH_HANDOFF=on|off|both|on,off (the first attempt handed to a waiting poller in the start's commit, ADR 0042)
 *
 * Also printed: how the loaded phase's attempts reached a worker (`activity_tasks_dispatched_total`
 * by outcome: handed off in the start's commit, ADR 0042, or sync-matched / spooled by a dispatch
 * task), and on Postgres the rows written per activity by table (`pg_stat_user_tables` of the
 * bench database after the server stopped, over the whole run: with BENCH_LATENCY_SAMPLES=0 that
 * is the loaded phase plus one start-up).
 *
 * The server runs as a child process on the built CLI (this package never imports the server),
 * with matching and standalone-activity loaded. Engine commits come from the server's
 * `chasm_commits_total`; on Postgres, database commits are the `pg_stat_database.xact_commit`
 * delta of a fresh database from before the server starts to after it stopped (backends flush
 * their statistics on exit), so they include one server start-up and shutdown. CPU per activity
 * (issue 16's bar: server + Postgres ≤ 1.5 ms) is the server process's (from /proc) and the
 * bench database's Postgres backends', over the loaded phase.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Database } from '@chasm/core';
import { sql } from 'kysely';
import { openDatabase } from '@chasm/core';
import { metricsDelta, percentile, pool, postgresCpuMs, postgresSnapshot, processCpuMs, runBench, scrapeCounter, scrapeMetrics, withBenchPostgres, xactCommits } from '@chasm/core/testing';
import { freePort, spawnServer, type ChildDatabase } from '../testing/server-process.js';

const N = Number(process.env['BENCH_ACTIVITIES'] ?? 2_000);
const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 200);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
// More pollers did not help on 2 cores (32 pollers: about half the Postgres throughput).
const POLLERS = Number(process.env['BENCH_POLLERS'] ?? 8);
/**
 * The runs, in order: 'on' (default), 'off' (the pre-ADR-0042 path: every attempt through a
 * dispatch task), a list such as 'on,off', or 'both' (= 'off,on'), back to back.
 */
const HANDOFF = (process.env['BENCH_HANDOFF'] ?? 'on').replace('both', 'off,on').split(',').map((m) => m.trim() !== 'off');
const BACKENDS = new Set((process.env['BENCH_BACKENDS'] ?? 'pglite,postgres').split(','));

const ms = (n: number): string => `${n.toFixed(1)} ms`;

interface Result {
  readonly backend: string;
  readonly throughput: number;
  readonly loadedP50: number;
  readonly loadedP99: number;
  readonly idleP50: number;
  readonly idleP99: number;
  readonly engineCommitsPerActivity: number;
  readonly dbCommitsPerActivity?: number;
  /** CPU ms per activity over the loaded phase (start to last completion): the server process, and the Postgres backends of the bench database. */
  readonly serverCpuMs: number;
  readonly postgresCpuMs?: number;
  /** Loaded-phase attempts by how they reached a worker (`activity_tasks_dispatched_total` outcome), per activity. */
  readonly dispatched: Record<string, number>;
}

/** CPU ticks of the Postgres backends connected to `dbName` (the server's pool). */
async function backendTicks(admin: Database, dbName: string): Promise<Map<number, number>> {
  const r = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = ${dbName}`.execute(admin.db);
  const pids = new Set(r.rows.map((x) => Number(x.pid)));
  return new Map([...postgresSnapshot()].filter(([pid]) => pids.has(pid)));
}

const cpuOf = (c: { user: number; system: number } | undefined): number => (c ? c.user + c.system : NaN);

async function run(backend: string, database: ChildDatabase, handoff: boolean, dbStats?: { admin: Database; dbName: string }): Promise<Result> {
  const port = await freePort();
  const metricsPort = await freePort();
  const before = dbStats ? await xactCommits(dbStats.admin, dbStats.dbName) : 0;
  const server = await spawnServer({ database, port, metricsPort, logLevel: 'error', settings: { 'standalone-activity': { attemptHandoff: handoff } } });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `bench-${randomUUID()}`;
  let completed = 0;
  let lastCompletion = 0;
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    maxConcurrentActivityTaskExecutions: 500,
    maxConcurrentActivityTaskPolls: POLLERS,
    activities: {
      async work(i: number) {
        completed++;
        lastCompletion = performance.now();
        return i;
      },
    },
  });
  const running = worker.run();
  try {
    // Unloaded start latency: one start at a time, to a queue nobody polls (no dispatch contention).
    const idle: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      await client.activity.start('work', { id: `idle-${i}-${randomUUID()}`, taskQueue: `${taskQueue}-idle`, startToCloseTimeout: '60s', args: [i] });
      idle.push(performance.now() - t0);
    }
    const commitsBefore = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const metricsBefore = await scrapeMetrics(metricsPort);
    const serverCpu0 = cpuOf(processCpuMs(server.proc.pid));
    const pg0 = dbStats ? await backendTicks(dbStats.admin, dbStats.dbName) : undefined;

    // Started-to-completed: N starts from CONCURRENCY callers while the worker drains them.
    const loaded: number[] = [];
    const first = performance.now();
    const ids = Array.from({ length: N }, (_, i) => i);
    await pool(ids, CONCURRENCY, async (i) => {
      const t0 = performance.now();
      await client.activity.start('work', { id: `b-${i}-${randomUUID()}`, taskQueue, startToCloseTimeout: '60s', args: [i] });
      loaded.push(performance.now() - t0);
    });
    while (completed < N) await new Promise((r) => setTimeout(r, 5));
    // Let the last RespondActivityTaskCompleted calls land before counting commits.
    const deadline = Date.now() + 30_000;
    while ((await client.activity.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`)).count < N && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (lastCompletion - first) / 1000;
    const serverCpu1 = cpuOf(processCpuMs(server.proc.pid));
    const pg1 = dbStats ? await backendTicks(dbStats.admin, dbStats.dbName) : undefined;
    const commitsAfter = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const dispatched: Record<string, number> = {};
    for (const [series, d] of Object.entries(metricsDelta(metricsBefore, await scrapeMetrics(metricsPort), 'activity_tasks_dispatched_total{'))) {
      dispatched[/outcome="([^"]+)"/.exec(series)?.[1] ?? series] = d / N;
    }
    idle.sort((a, b) => a - b);
    loaded.sort((a, b) => a - b);
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await server.stop();
    const after = dbStats ? await xactCommits(dbStats.admin, dbStats.dbName) : 0;
    return {
      backend,
      throughput: N / seconds,
      loadedP50: percentile(loaded, 50),
      loadedP99: percentile(loaded, 99),
      idleP50: percentile(idle, 50),
      idleP99: percentile(idle, 99),
      engineCommitsPerActivity: (commitsAfter - commitsBefore) / N,
      ...(dbStats ? { dbCommitsPerActivity: (after - before) / (N + LATENCY_SAMPLES) } : {}),
      serverCpuMs: (serverCpu1 - serverCpu0) / N,
      ...(pg0 && pg1 ? { postgresCpuMs: postgresCpuMs(pg0, pg1) / N } : {}),
      dispatched,
    };
  } catch (e) {
    await server.kill9();
    throw e;
  }
}

function print(r: Result): void {
  console.log(
    `${r.backend}: ${N} activities, ${r.throughput.toFixed(0)} activities/s started-to-completed; ` +
      `start latency p50 ${ms(r.idleP50)} p99 ${ms(r.idleP99)} (one at a time), p50 ${ms(r.loadedP50)} p99 ${ms(r.loadedP99)} (${CONCURRENCY} concurrent, worker draining); ` +
      `engine commits/activity ${r.engineCommitsPerActivity.toFixed(2)}` +
      (r.dbCommitsPerActivity !== undefined ? `; database commits/activity ${r.dbCommitsPerActivity.toFixed(2)}` : '') +
      `; CPU ms/activity server ${r.serverCpuMs.toFixed(2)}` +
      (r.postgresCpuMs !== undefined ? ` + Postgres ${r.postgresCpuMs.toFixed(2)} = ${(r.serverCpuMs + r.postgresCpuMs).toFixed(2)}` : ' (PGlite inside)') +
      `; attempts/activity by dispatch outcome ${Object.entries(r.dispatched).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`,
  );
}

/** Zeroes the bench database's table counters, so the rows printed are the measured run's. */
async function resetTableStats(url: string): Promise<void> {
  const db = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  try {
    await sql`select pg_stat_reset()`.execute(db.db);
  } finally {
    await db.close();
  }
}

/** Rows inserted / updated / deleted per activity by table, over the whole run (see the header). */
async function printRowsWritten(url: string): Promise<void> {
  const db = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  try {
    const r = await sql<{ relname: string; ins: string; upd: string; del: string }>`
      select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_del as del
      from pg_stat_user_tables where n_tup_ins + n_tup_upd + n_tup_del > 0 order by relname`.execute(db.db);
    const units = N + LATENCY_SAMPLES;
    const per = (x: string): string => (Number(x) / units).toFixed(2);
    const rows = r.rows.map((t) => `${t.relname} +${per(t.ins)}/~${per(t.upd)}/-${per(t.del)}`);
    const total = r.rows.reduce((n, t) => n + Number(t.ins) + Number(t.upd) + Number(t.del), 0) / units;
    console.log(`Postgres rows per activity (inserted/updated/deleted, over ${units} starts): ${rows.join(', ')}; total ${total.toFixed(2)}`);
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const modes = HANDOFF;
  const label = (backend: string, handoff: boolean): string => (modes.length > 1 ? `${backend}, hand-off ${handoff ? 'on' : 'off'}` : backend);
  for (const handoff of modes) {
    if (BACKENDS.has('pglite')) print(await run(label('PGlite (in memory)', handoff), { kind: 'pglite' }, handoff));
  }
  if (!BACKENDS.has('postgres')) return;
  for (const handoff of modes) {
    await withBenchPostgres('chasm_sa_bench', async ({ url, dbName, admin }) => {
      // A first start runs the migrations, so the measured run counts only steady-state work.
      await (await spawnServer({ database: { kind: 'postgres', url }, port: await freePort(), logLevel: 'error' })).stop();
      await resetTableStats(url);
      print(await run(label('Postgres', handoff), { kind: 'postgres', url }, handoff, { admin, dbName }));
      await printRowsWritten(url);
    });
  }
}

runBench(main);
