/**
 * Standalone activity benchmark: activities started-to-completed per second with the official
 * SDK client and worker, start latency, and commits per activity, on PGlite and on Postgres.
 *
 *   node packages/standalone-activity/dist/bench/activity.bench.js        (pnpm bench activity)
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres  BENCH_ACTIVITIES=2000
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
import { percentile, pool, postgresCpuMs, postgresSnapshot, processCpuMs, runBench, scrapeCounter, withBenchPostgres, xactCommits } from '@chasm/core/testing';
import { freePort, spawnServer, type ChildDatabase } from '../testing/server-process.js';

const N = Number(process.env['BENCH_ACTIVITIES'] ?? 2_000);
const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 200);
const CONCURRENCY = 64;
// More pollers did not help on 2 cores (32 pollers: about half the Postgres throughput).
const POLLERS = Number(process.env['BENCH_POLLERS'] ?? 8);

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
}

/** CPU ticks of the Postgres backends connected to `dbName` (the server's pool). */
async function backendTicks(admin: Database, dbName: string): Promise<Map<number, number>> {
  const r = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = ${dbName}`.execute(admin.db);
  const pids = new Set(r.rows.map((x) => Number(x.pid)));
  return new Map([...postgresSnapshot()].filter(([pid]) => pids.has(pid)));
}

const cpuOf = (c: { user: number; system: number } | undefined): number => (c ? c.user + c.system : NaN);

async function run(backend: string, database: ChildDatabase, dbStats?: { admin: Database; dbName: string }): Promise<Result> {
  const port = await freePort();
  const metricsPort = await freePort();
  const before = dbStats ? await xactCommits(dbStats.admin, dbStats.dbName) : 0;
  const server = await spawnServer({ database, port, metricsPort, logLevel: 'error' });
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
      (r.postgresCpuMs !== undefined ? ` + Postgres ${r.postgresCpuMs.toFixed(2)} = ${(r.serverCpuMs + r.postgresCpuMs).toFixed(2)}` : ' (PGlite inside)'),
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  print(await run('PGlite (in memory)', { kind: 'pglite' }));

  await withBenchPostgres('chasm_sa_bench', async ({ url, dbName, admin }) => {
    // A first start runs the migrations, so the measured run counts only steady-state work.
    await (await spawnServer({ database: { kind: 'postgres', url }, port: await freePort(), logLevel: 'error' })).stop();
    print(await run('Postgres', { kind: 'postgres', url }, { admin, dbName }));
  });
}

runBench(main);
