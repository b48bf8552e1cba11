import { metricsDelta, scrapeMetrics } from './bench-kit.js';

/**
 * Counts what some sequential work costs a server, from its `/metrics`, for the cost guard
 * tests: engine commits, database round trips and transactions, and RPCs by method.
 */

/** The series the guards assert, read as deltas per unit of work. */
export interface Cost {
  readonly engineCommits: number;
  readonly dbRoundTrips: number;
  readonly dbTransactions: number;
  readonly dbWriteTransactions: number;
  /** Requests by method (`operation`), only those that were called. */
  readonly rpcs: Readonly<Record<string, number>>;
}

const WATCHED = ['chasm_commits_total', 'chasm_db_round_trips_total', 'chasm_db_transactions_total', 'service_requests'];

/**
 * Scrapes until the watched counters hold still for three scrapes 100 ms apart (the tasks a
 * completion leaves behind, e.g. visibility, have run), with a deadline: a poll, not a sleep.
 */
export async function settledMetrics(metricsPort: number, timeoutMs = 15_000): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let last = await scrapeMetrics(metricsPort);
  let still = 0;
  while (still < 2) {
    if (Date.now() > deadline) throw new Error('server metrics did not settle in time');
    await new Promise((r) => setTimeout(r, 100));
    const next = await scrapeMetrics(metricsPort);
    const moved = [...next].some(([k, v]) => WATCHED.some((w) => k.startsWith(w)) && last.get(k) !== v);
    still = moved ? 0 : still + 1;
    last = next;
  }
  return last;
}

/** The cost of `units` pieces of work between two scrapes, per piece. */
export function costPer(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, units: number): Cost {
  const one = (name: string): number => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / units;
  const rpcs: Record<string, number> = {};
  for (const [series, d] of Object.entries(metricsDelta(before, after, 'service_requests{'))) {
    const op = /operation="([^"]+)"/.exec(series)?.[1] ?? series;
    rpcs[op] = d / units;
  }
  return {
    engineCommits: one('chasm_commits_total'),
    dbRoundTrips: one('chasm_db_round_trips_total'),
    dbTransactions: one('chasm_db_transactions_total'),
    dbWriteTransactions: one('chasm_db_write_transactions_total'),
    rpcs,
  };
}

/**
 * The task processor scans every shard's task table every 30 s from start-up (reads that are not
 * the work's). A window [from, to] that may contain such a scan of a server started between
 * `startedFrom` and `startedTo` is measured again by the caller.
 */
export function mayHoldPeriodicScan(window: { from: number; to: number }, started: { from: number; to: number }, periodMs = 30_000): boolean {
  for (let k = 1; started.from + k * periodMs <= window.to + 1000; k++) {
    if (started.to + k * periodMs + 1000 >= window.from) return true;
  }
  return false;
}
