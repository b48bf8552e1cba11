import { Counter, type Registry } from 'prom-client';
import type { KyselyExecutionStore } from '@chasm/core';

/**
 * Group-commit counters of the execution store (ADR 0008), read at scrape time: writes per
 * database call is the batching factor, isolations count joined calls that failed as a whole.
 */
export function registerStoreMetrics(store: KyselyExecutionStore, registry: Registry): void {
  const counter = (name: string, help: string, read: () => number): void => {
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
  };
  counter('chasm_store_write_calls_total', 'Write calls (chasm_write statements, one transaction each)', () => store.writeStats.statements);
  counter('chasm_store_writes_total', 'Writes (creates, commits, deletes, visibility) carried by those calls', () => store.writeStats.writes);
  counter('chasm_store_write_isolations_total', 'Joined write calls that failed as a whole and were retried write by write', () => store.writeStats.isolations);
}
