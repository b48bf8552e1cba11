import pg from 'pg';

/** Latency percentiles in milliseconds from samples in milliseconds. */
export function percentiles(samples: number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? 0 };
}

/**
 * Committed transactions of one Postgres database, from pg_stat_database. Backends publish their
 * counters lazily (about once a second in PG 15), so read after a pause.
 */
export async function xactCommit(url: string): Promise<number> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('select xact_commit::text as n from pg_stat_database where datname = $1', [name]);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
