import { Counter, type Registry } from 'prom-client';

/** Prometheus metrics of batch operations (Temporal's batcher_processor_requests/failures). */
export class BatchMetrics {
  readonly started: Counter<'operation'>;
  readonly processed: Counter<'operation' | 'outcome'>;

  constructor(registry: Registry) {
    this.started = new Counter({ name: 'batch_operations_started_total', help: 'Batch operations started', labelNames: ['operation'], registers: [registry] });
    this.processed = new Counter({
      name: 'batch_operation_executions_total',
      help: 'Executions a batch operation handled, by outcome (complete or failure)',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    });
  }
}
