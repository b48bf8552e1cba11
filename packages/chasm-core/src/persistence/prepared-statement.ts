import type pgTypes from 'pg';
import { isWriteStatement, type DatabaseStats } from './database-stats.js';
import { classifyDatabaseError } from './transient-errors.js';

/**
 * A fixed-shape statement run as a named prepared statement on a `pg` pool (ADR 0055). `text`
 * never changes for a name, so each pooled connection parses it once (pg sends Parse only the
 * first time it runs the name on that connection) and Postgres skips parse, analysis and
 * planning of it on every later call. The call goes straight to the pool, not through Kysely:
 * the statement is one parameter and one row, and Kysely's per-call work (building and
 * compiling the raw node, acquiring a wrapped connection) is pure overhead for it.
 *
 * Counted in `stats` exactly as the same statement through Kysely would be (one round trip,
 * one transaction, a write one if the SQL writes), and failures are classified the same way
 * (`DatabaseUnavailableError` when the database is away), so callers and metrics cannot tell
 * the difference.
 */
export interface PreparedStatement<R> {
  (values: readonly unknown[]): Promise<readonly R[]>;
}

export function preparedStatement<R>(pool: pgTypes.Pool, stats: DatabaseStats, name: string, text: string): PreparedStatement<R> {
  const writes = isWriteStatement({ query: { kind: 'RawNode' }, sql: text });
  return async (values) => {
    stats.roundTrips++;
    stats.transactions++;
    if (writes) stats.writeTransactions++;
    try {
      // A fresh config object per call: pg keeps per-query state on it while it runs.
      const result = await pool.query<R & pgTypes.QueryResultRow>({ name, text, values: values as unknown[] });
      return result.rows;
    } catch (e) {
      throw classifyDatabaseError(e);
    }
  };
}
