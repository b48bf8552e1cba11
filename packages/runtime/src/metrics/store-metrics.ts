import { Counter, type Registry } from 'prom-client';
import type { DatabaseStats, KyselyExecutionStore } from '@chasm/core';

/**
 * Group-commit counters of the execution store (ADR 0008), read at scrape time: writes per
 * database call is the batching factor, isolations count joined calls that failed as a whole.
 */
export function registerStoreMetrics(store: KyselyExecutionStore, registry: Registry): void {
  counter(registry, 'chasm_store_write_calls_total', 'Write calls (chasm_write statements, one transaction each)', () => store.writeStats.statements);
  counter(registry, 'chasm_store_writes_total', 'Writes (creates, commits, deletes, visibility) carried by those calls', () => store.writeStats.writes);
  counter(registry, 'chasm_store_write_overlaps_total', 'Write calls sent while another was running, because enough writes were queued (ADR 0048)', () => store.writeStats.overlaps);
  counter(registry, 'chasm_store_write_isolations_total', 'Joined write calls that failed as a whole and were retried write by write', () => store.writeStats.isolations);
}

/**
 * What every store on the server's database asked of it (core, matching, plugins): the cost
 * guard tests and the workflow bench count these per workflow.
 */
export function registerDatabaseMetrics(stats: DatabaseStats, registry: Registry): void {
  counter(registry, 'chasm_db_round_trips_total', 'Statements sent to the database (begin and commit included)', () => stats.roundTrips);
  counter(registry, 'chasm_db_transactions_total', 'Database transactions (explicit, or one autocommit statement)', () => stats.transactions);
  counter(registry, 'chasm_db_write_transactions_total', 'Database transactions with at least one write', () => stats.writeTransactions);
  counter(registry, 'chasm_db_maintenance_statements_total', "Statements of the database's upkeep (PGlite's VACUUM, CHECKPOINT, WAL check), not in the counts above", () => stats.maintenanceStatements);
}

/** A counter whose value is read at scrape time (registered once per registry). */
function counter(registry: Registry, name: string, help: string, read: () => number): void {
  if (registry.getSingleMetric(name)) return;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
