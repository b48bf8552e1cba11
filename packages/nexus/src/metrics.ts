import { Counter, Histogram, type Registry } from 'prom-client';

/** How a dispatch ended, as counted and logged (`NexusTaskResult` refined for operators). */
export type DispatchOutcome = 'completed' | 'operation_error' | 'handler_error' | 'timeout' | 'canceled' | 'error';

/** Prometheus metrics of the nexus package. */
export class NexusMetrics {
  /** Endpoint registry changes that committed: created, updated, deleted. */
  readonly endpointChanges: Counter<'change'>;
  /** Nexus tasks dispatched to workers, by how they ended. */
  readonly dispatches: Counter<'outcome'>;
  /** From dispatch to the worker's answer (or the timeout), by outcome. */
  readonly dispatchLatency: Histogram<'outcome'>;

  constructor(registry: Registry) {
    this.endpointChanges = new Counter({
      name: 'chasm_nexus_endpoint_changes_total',
      help: 'Nexus endpoint registry changes by kind (created, updated, deleted)',
      labelNames: ['change'],
      registers: [registry],
    });
    this.dispatches = new Counter({
      name: 'chasm_nexus_task_dispatches_total',
      help: 'Nexus tasks dispatched to workers by outcome (completed, operation_error, handler_error, timeout, canceled, error)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.dispatchLatency = new Histogram({
      name: 'chasm_nexus_task_dispatch_latency_seconds',
      help: 'Time from dispatching a Nexus task to its answer or timeout, by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }
}
