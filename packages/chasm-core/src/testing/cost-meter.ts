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
  /** Requests by method (`operation`) that the work caused (see `costPer`), only those called. */
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

/** The poll RPC of each matching task type (`poll_latency`'s `task_type`). */
const POLL_RPC: Readonly<Record<string, string>> = {
  workflow: 'PollWorkflowTaskQueue',
  activity: 'PollActivityTaskQueue',
  nexus: 'PollNexusTaskQueue',
};
/** RPCs an SDK worker sends on a timer, whatever the work (matching keeps them in memory). */
const TIME_DRIVEN_RPCS = new Set(['RecordWorkerHeartbeat']);

/**
 * The cost of `units` pieces of work between two scrapes, per piece. RPCs leave out what time
 * rather than the work causes, so the counts do not depend on how long the window lasted: a
 * long poll that ended empty (its wait ran out; the SDK sends the next one at once, so one poll
 * RPC per empty poll is subtracted, from matching's `poll_latency{poll_result="timeout"}`) and
 * the worker's periodic heartbeat. `everyRpc` keeps them (the bench reports what was served).
 */
export function costPer(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, units: number, everyRpc = false): Cost {
  const one = (name: string): number => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / units;
  const counts = new Map<string, number>();
  for (const [series, d] of Object.entries(metricsDelta(before, after, 'service_requests{'))) {
    const op = /operation="([^"]+)"/.exec(series)?.[1] ?? series;
    if (everyRpc || !TIME_DRIVEN_RPCS.has(op)) counts.set(op, (counts.get(op) ?? 0) + d);
  }
  for (const [series, d] of everyRpc ? [] : Object.entries(metricsDelta(before, after, 'poll_latency_count{'))) {
    if (!series.includes('poll_result="timeout"')) continue;
    const op = POLL_RPC[/task_type="([^"]+)"/.exec(series)?.[1] ?? ''];
    if (op !== undefined && counts.has(op)) counts.set(op, counts.get(op)! - d);
  }
  const rpcs: Record<string, number> = {};
  for (const [op, n] of counts) if (n !== 0) rpcs[op] = n / units;
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

/**
 * Whether `actual` holds database round trips that not every unit of work paid: more than
 * `expected` in total, but by fewer than `units` (e.g. 5.2 per unit where 5 are expected, over 5
 * units: one stray read). Background work that is timed rather than caused by the units (the
 * periodic task scan, PGlite's VACUUM, namespace refreshes) lands in a measuring window now and
 * then, the more so on a loaded machine; the caller measures such a window again. A change that
 * adds a round trip to every unit adds `units` of them and is not stray: the guard fails it.
 */
export function hasStrayRoundTrips(actual: Cost, expected: Cost, units: number): boolean {
  return (['dbRoundTrips', 'dbTransactions'] as const).some((k) => {
    const extra = Math.round((actual[k] - expected[k]) * units);
    return extra > 0 && extra < units;
  });
}

/**
 * How `actual` departs from the guard's `expected`, one line per difference (empty: none).
 * Engine commits and RPCs must match exactly. Database round trips and transactions are an upper
 * bound within one of it: the store's group commit may join two writes that happen to be queued
 * at the same moment (a visibility record or a flush of finished-task deletions next to a
 * commit), which a loaded machine makes more likely, so a run can cost slightly less; one more
 * write per unit of work still fails.
 */
export function costDrift(actual: Cost, expected: Cost): string[] {
  const out: string[] = [];
  if (actual.engineCommits !== expected.engineCommits) out.push(`engineCommits ${actual.engineCommits}, expected ${expected.engineCommits}`);
  for (const k of ['dbRoundTrips', 'dbTransactions', 'dbWriteTransactions'] as const) {
    if (actual[k] > expected[k] || actual[k] <= expected[k] - 1) out.push(`${k} ${actual[k]}, expected at most ${expected[k]} and more than ${expected[k] - 1}`);
  }
  const methods = new Set([...Object.keys(actual.rpcs), ...Object.keys(expected.rpcs)]);
  for (const m of [...methods].sort()) {
    if (actual.rpcs[m] !== expected.rpcs[m]) out.push(`rpcs.${m} ${actual.rpcs[m] ?? 0}, expected ${expected.rpcs[m] ?? 0}`);
  }
  return out;
}

/**
 * What `units` pieces of work cost, per piece: `work(attempt)` runs them between two settled
 * scrapes. Measured again (up to three more times) when the window may hold the task processor's
 * periodic scan or stray round trips (see `mayHoldPeriodicScan`, `hasStrayRoundTrips`); the
 * last measurement is returned either way, for the caller's `costDrift`.
 */
export async function measureCost(opts: {
  readonly metricsPort: number;
  /** When the server started (before and after its start call), for the periodic scan. */
  readonly started: { readonly from: number; readonly to: number };
  readonly expected: Cost;
  readonly units: number;
  readonly work: (attempt: number) => Promise<void>;
}): Promise<Cost> {
  for (let attempt = 0; ; attempt++) {
    const before = await settledMetrics(opts.metricsPort);
    const from = Date.now();
    await opts.work(attempt);
    const after = await settledMetrics(opts.metricsPort);
    const cost = costPer(before, after, opts.units);
    const suspect = mayHoldPeriodicScan({ from, to: Date.now() }, opts.started) || hasStrayRoundTrips(cost, opts.expected, opts.units);
    if (attempt < 3 && suspect) continue;
    return cost;
  }
}
