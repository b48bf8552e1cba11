import { Counter, type Registry } from 'prom-client';

/** Prometheus metrics of the nexus package. */
export class NexusMetrics {
  /** Endpoint registry changes that committed: created, updated, deleted. */
  readonly endpointChanges: Counter<'change'>;

  constructor(registry: Registry) {
    this.endpointChanges = new Counter({
      name: 'chasm_nexus_endpoint_changes_total',
      help: 'Nexus endpoint registry changes by kind (created, updated, deleted)',
      labelNames: ['change'],
      registers: [registry],
    });
  }
}
