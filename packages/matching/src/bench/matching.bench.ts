/**
 * Matching benchmark (Postgres): sync-match throughput and add-to-dispatch latency, backlog
 * spool and drain rates, and database commits per task for each phase.
 *
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres node dist/bench/matching.bench.js
 *
 * Commits come from pg_stat_database.xact_commit of a fresh database. Each phase closes its pool
 * at the end, because a backend flushes its statistics when it exits.
 */
import { performance } from 'node:perf_hooks';
import { createPostgresDatabase, migrate, openDatabase, systemClock, type Database } from '@chasm/core';
import { sql } from 'kysely';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { matchingMigrations } from '../backlog/migrations.js';
import { LocalMatchingService } from '../local-matching-service.js';
import type { PollRequest } from '../types.js';

const ADMIN_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SYNC_TASKS = Number(process.env['BENCH_SYNC_TASKS'] ?? 50_000);
const BACKLOG_TASKS = Number(process.env['BENCH_BACKLOG_TASKS'] ?? 20_000);
const POLLERS = 64;
const PRODUCERS = 16;
const NS = 'bench';
const logger = pino({ level: 'silent' });

function stamp(): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, performance.now());
  return b;
}
function latencyOf(payload: Uint8Array): number {
  return performance.now() - new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0);
}
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function commits(admin: Database, dbName: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 300)); // exited backends flush their stats on exit
  await sql`select pg_stat_clear_snapshot()`.execute(admin.db);
  const r = await sql<{ c: number }>`select xact_commit as c from pg_stat_database where datname = ${dbName}`.execute(admin.db);
  return Number(r.rows[0]?.c ?? 0);
}

/** Runs `fn` with a fresh service on its own pool, closed afterwards; returns the commits it made. */
async function phase<T>(
  url: string,
  admin: Database,
  dbName: string,
  fn: (svc: LocalMatchingService) => Promise<T>,
): Promise<{ result: T; commits: number }> {
  const before = await commits(admin, dbName);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 10 });
  // The default per-queue system dispatch limit (10k/s) would cap this one-queue benchmark;
  // lift it to measure matching itself.
  const svc = new LocalMatchingService(database, systemClock, logger, new Registry(), { systemRateLimit: Infinity });
  await svc.start();
  const result = await fn(svc);
  await svc.stop();
  await database.close();
  return { result, commits: (await commits(admin, dbName)) - before };
}

function pollLoop(
  svc: LocalMatchingService,
  queue: string,
  stop: { done: boolean },
  onTask: (payload: Uint8Array) => void,
): Promise<void> {
  const req: PollRequest = { namespaceId: NS, taskQueue: { name: queue, kind: 'normal' }, type: 'activity', identity: 'bench' };
  const signal = new AbortController().signal;
  return (async () => {
    while (!stop.done) {
      const t = await svc.poll(req, signal, new Date(Date.now() + 3_000));
      if (t) onTask(t.payload);
    }
  })();
}

async function main(): Promise<void> {
  const dbName = `matching_bench_${Date.now()}`;
  const url = await createPostgresDatabase(ADMIN_URL, dbName);
  const admin = await openDatabase({ kind: 'postgres', url: ADMIN_URL, poolSize: 1 });
  {
    const d = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
    await migrate(d, matchingMigrations.table, matchingMigrations.migrations);
    await d.close();
  }

  // 1. Sync match: pollers wait, producers add; every task should skip the database.
  const sync = await phase(url, admin, dbName, async (svc) => {
    const latencies: number[] = [];
    const stop = { done: false };
    let received = 0;
    let allReceived!: () => void;
    const finished = new Promise<void>((r) => (allReceived = r));
    const pollers = Array.from({ length: POLLERS }, () =>
      pollLoop(svc, 'sync-q', stop, (p) => {
        latencies.push(latencyOf(p));
        if (++received === SYNC_TASKS) allReceived();
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    let next = 0;
    let syncMatched = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: PRODUCERS }, async () => {
        while (next++ < SYNC_TASKS) {
          const r = await svc.addTask({ namespaceId: NS, taskQueue: { name: 'sync-q', kind: 'normal' }, type: 'activity', payload: stamp() });
          if (r.outcome === 'sync-matched') syncMatched++;
        }
      }),
    );
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    stop.done = true;
    await svc.stop();
    await Promise.all(pollers);
    latencies.sort((a, b) => a - b);
    return { throughput: SYNC_TASKS / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), syncMatched };
  });

  // 2. Spool: no pollers, every task goes to the backlog (batched appends).
  const spool = await phase(url, admin, dbName, async (svc) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        while (next++ < BACKLOG_TASKS) {
          await svc.addTask({
            namespaceId: NS,
            taskQueue: { name: 'backlog-q', kind: 'normal' },
            type: 'activity',
            payload: stamp(),
            priority: { fairnessKey: `tenant-${next % 10}` },
          });
        }
      }),
    );
    return { rate: BACKLOG_TASKS / ((performance.now() - t0) / 1000) };
  });

  // 3. Drain after a restart: a new owner reads the backlog and dispatches it to pollers.
  const drain = await phase(url, admin, dbName, async (svc) => {
    const stop = { done: false };
    let received = 0;
    let allReceived!: () => void;
    const finished = new Promise<void>((r) => (allReceived = r));
    const t0 = performance.now();
    const pollers = Array.from({ length: POLLERS }, () =>
      pollLoop(svc, 'backlog-q', stop, () => {
        if (++received === BACKLOG_TASKS) allReceived();
      }),
    );
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    stop.done = true;
    await svc.stop();
    await Promise.all(pollers);
    return { rate: BACKLOG_TASKS / seconds };
  });

  const left = await (async () => {
    const d = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
    const r = await sql<{ n: number }>`select count(*)::int as n from task_queue_tasks`.execute(d.db);
    await d.close();
    return Number(r.rows[0]?.n ?? 0);
  })();
  await sql.raw(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).execute(admin.db);
  await admin.close();

  const f = (n: number, d = 1): string => n.toFixed(d);
  console.log(`matching benchmark (Postgres, ${POLLERS} pollers)`);
  console.log(`sync match   ${SYNC_TASKS} tasks, ${PRODUCERS} producers: ${f(sync.result.throughput, 0)} tasks/s, ` +
    `${sync.result.syncMatched} sync-matched, add-to-dispatch p50 ${f(sync.result.p50, 2)} ms p99 ${f(sync.result.p99, 2)} ms, ` +
    `${f(sync.commits / SYNC_TASKS, 3)} commits/task (${sync.commits} commits, incl. queue acquire)`);
  console.log(`spool        ${BACKLOG_TASKS} tasks, 200 producers: ${f(spool.result.rate, 0)} tasks/s, ` +
    `${f(spool.commits / BACKLOG_TASKS, 3)} commits/task (${spool.commits})`);
  console.log(`drain        ${BACKLOG_TASKS} tasks after restart: ${f(drain.result.rate, 0)} tasks/s, ` +
    `${f(drain.commits / BACKLOG_TASKS, 3)} commits/task (${drain.commits}); left in backlog: ${left}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
