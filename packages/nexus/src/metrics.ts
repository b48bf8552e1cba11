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

  /** Start attempts of Nexus operations by result (sync, async, operationFailed, attemptFailed, timedOut…). */
  readonly operationAttempts: Counter<'outcome'>;
  readonly operationAttemptLatency: Histogram<'outcome'>;
  /** Operations that reached a terminal status through an attempt, by status. */
  readonly operationsClosed: Counter<'status'>;
  /** Cancel requests sent to handlers by result (delivered, retrying, failed). */
  readonly cancelAttempts: Counter<'outcome'>;
  /** Completions delivered by handler callbacks, by outcome (completed, failed, canceled, terminated, timedOut, rejected). */
  readonly callbackCompletions: Counter<'outcome'>;

  /** StartNexusOperationExecution calls by outcome (created, existing). */
  readonly standaloneStarts: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.standaloneStarts = new Counter({
      name: 'chasm_nexus_standalone_operation_starts_total',
      help: 'StartNexusOperationExecution calls by outcome (created, existing)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.operationAttempts = new Counter({
      name: 'chasm_nexus_operation_attempts_total',
      help: 'Nexus operation start attempts by result',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.operationAttemptLatency = new Histogram({
      name: 'chasm_nexus_operation_attempt_latency_seconds',
      help: 'Time of a Nexus operation start attempt, from the endpoint lookup to the handler answer',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.operationsClosed = new Counter({
      name: 'chasm_nexus_operations_closed_total',
      help: 'Nexus operations closed by a start attempt, by status',
      labelNames: ['status'],
      registers: [registry],
    });
    this.cancelAttempts = new Counter({
      name: 'chasm_nexus_operation_cancel_attempts_total',
      help: 'Nexus operation cancel requests sent to handlers by result',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.callbackCompletions = new Counter({
      name: 'chasm_nexus_operation_callback_completions_total',
      help: 'Nexus operation completions delivered by callbacks, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
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
