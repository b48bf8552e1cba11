import { sql } from 'kysely';
import { createPostgresDatabase, dropPostgresDatabase, openDatabase, type Database } from '../persistence/database.js';

/** Small pieces every benchmark uses: percentiles, a bounded-concurrency loop, counters. */

/** The p-th percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs `fn` over `items` with at most `width` calls in flight. */
export async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A counter's value from a server's Prometheus `/metrics` (NaN when absent). */
export async function scrapeCounter(metricsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/**
 * Every sample of a server's Prometheus `/metrics`, keyed by series (`name{labels}` as printed),
 * for counting what some work cost: take one before and one after, subtract with `metricsDelta`.
 */
export async function scrapeMetrics(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** `after - before` for the series whose name starts with `prefix` and that changed. */
export function metricsDelta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [series, value] of after) {
    if (!series.startsWith(prefix)) continue;
    const d = value - (before.get(series) ?? 0);
    if (d !== 0) out[series] = d;
  }
  return out;
}

/**
 * `pg_stat_database.xact_commit` of a database. Backends report their counts when they go idle
 * or exit, so read this after the measured server's pool closed (and the short wait below).
 */
export async function xactCommits(admin: Database, dbName: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 500));
  await sql`select pg_stat_clear_snapshot()`.execute(admin.db);
  const r = await sql<{ c: string }>`select xact_commit as c from pg_stat_database where datname = ${dbName}`.execute(admin.db);
  return Number(r.rows[0]?.c ?? 0);
}

/** A fresh Postgres database for one benchmark run, dropped afterwards (undefined: skipped). */
export interface BenchPostgres {
  readonly url: string;
  readonly dbName: string;
  /** A connection to the admin database, for `xactCommits`. */
  readonly admin: Database;
}

/**
 * Creates `<prefix>_<time>` on the server of `adminUrl` (BENCH_POSTGRES_URL by default), runs `fn`
 * and drops it. If Postgres is unreachable it says so and skips, so benches still run anywhere.
 */
export async function withBenchPostgres(prefix: string, fn: (pg: BenchPostgres) => Promise<void>): Promise<void> {
  const adminUrl = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `${prefix}_${Date.now().toString(36)}`;
  let url: string;
  try {
    url = await createPostgresDatabase(adminUrl, dbName);
  } catch (e) {
    console.log(`Postgres: skipped (${(e as Error).message})`);
    return;
  }
  const admin = await openDatabase({ kind: 'postgres', url: adminUrl, poolSize: 1 });
  try {
    await fn({ url, dbName, admin });
  } finally {
    await admin.close();
    // BENCH_KEEP_DB=1 keeps the database for inspection afterwards (pg_stat_user_tables, rows).
    if (process.env['BENCH_KEEP_DB'] === '1') console.log(`Postgres: kept database ${dbName}`);
    else await dropPostgresDatabase(adminUrl, dbName);
  }
}

/** Runs a benchmark's main and exits (SDK runtimes keep the process alive otherwise). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
