import { Counter, type Registry } from 'prom-client';

/** Prometheus metrics of the scheduler package. */
export class SchedulerMetrics {
  /** Scheduled actions by outcome: started, retry (a retryable start failure), dropped (refused). */
  readonly actions: Counter<'outcome'>;
  /** Schedule RPC-level events: created, updated, patched, deleted. */
  readonly schedules: Counter<'event'>;
  /** Completion callbacks received from the workflows schedules started. */
  readonly completions: Counter<'status'>;

  constructor(registry: Registry) {
    this.actions = new Counter({ name: 'chasm_scheduler_actions_total', help: 'Scheduled workflow starts by outcome', labelNames: ['outcome'], registers: [registry] });
    this.schedules = new Counter({ name: 'chasm_scheduler_schedules_total', help: 'Schedule changes by event', labelNames: ['event'], registers: [registry] });
    this.completions = new Counter({ name: 'chasm_scheduler_completions_total', help: 'Completions of scheduled workflows by status', labelNames: ['status'], registers: [registry] });
  }
}
