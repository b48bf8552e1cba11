/**
 * Counts of what a `Database` asks of its server, for the cost guard tests and the benchmark
 * (`chasm_db_*` metrics): round trips, and transactions split by whether they wrote.
 *
 * A round trip is one statement sent (including `begin`, `commit` and `rollback`). A
 * transaction is an explicit one (counted at commit) or a statement run outside one
 * (autocommit). It is a write transaction if any of its statements writes: a builder
 * insert/update/delete/merge, or raw SQL that contains one of those or calls `chasm_write`
 * (the store's group-commit function, ADR 0008). Postgres' own `xact_commit` counts read-only
 * transactions too, and per-transaction xids are cluster-wide, so the count is kept here.
 */
export class DatabaseStats {
  roundTrips = 0;
  transactions = 0;
  writeTransactions = 0;
  /**
   * Statements of the database's own upkeep (`MAINTENANCE_SQL`: PGlite's VACUUM, CHECKPOINT and
   * WAL position check), counted here instead of above: they follow time and volume, not the
   * work, so the per-workflow counts of the cost guards stay exact (ADR 0059).
   */
  maintenanceStatements = 0;
}

/** Leads a raw statement that is upkeep, not work (see `DatabaseStats.maintenanceStatements`). */
export const MAINTENANCE_SQL = '/* chasm:maintenance */';

/** Whether a compiled statement is upkeep (see `DatabaseStats.maintenanceStatements`). */
export function isMaintenanceStatement(query: { readonly sql: string }): boolean {
  return query.sql.startsWith(MAINTENANCE_SQL);
}

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
// Parameters travel separately, so a keyword here is SQL, not data.
const WRITE_SQL = /\b(insert\s+into|update\s+"?\w+"?\s+set|delete\s+from|merge\s+into|chasm_write\s*\()/i;

/** Whether a compiled statement writes (see `DatabaseStats`). */
export function isWriteStatement(query: { readonly query: { readonly kind: string }; readonly sql: string }): boolean {
  if (WRITE_NODES.has(query.query.kind)) return true;
  return query.query.kind === 'RawNode' && WRITE_SQL.test(query.sql);
}
