import { Counter, Histogram, type Registry } from 'prom-client';

/** Update metrics, named after Temporal's where one exists. */
export class WorkflowUpdateMetrics {
  /** Updates admitted (first request for an update id on a run). */
  readonly admitted: Counter;
  /** Requests joined to an update already known (dedup by update id). */
  readonly deduplicated: Counter;
  /** Requests refused by the per-run limits (Temporal: workflow_update_registry_size_limited / too_many). */
  readonly limited: Counter<'limit'>;
  /** Outcomes as observed by the admitting request: success, failure, rejected, aborted. */
  readonly outcomes: Counter<'outcome'>;
  /** UpdateWorkflowExecution latency by the stage it returned. */
  readonly latency: Histogram<'stage'>;
  /** Speculative admissions lost with the cached run before anything was written, admitted again. */
  readonly readmitted: Counter;

  constructor(registry: Registry) {
    this.admitted = new Counter({ name: 'workflow_update_admitted_total', help: 'Workflow updates admitted', registers: [registry] });
    this.deduplicated = new Counter({
      name: 'workflow_update_deduplicated_total',
      help: 'Update requests joined to a known update id',
      registers: [registry],
    });
    this.limited = new Counter({
      name: 'workflow_update_limited_total',
      help: 'Update requests refused by a per-run limit',
      labelNames: ['limit'],
      registers: [registry],
    });
    this.outcomes = new Counter({
      name: 'workflow_update_outcome_total',
      help: 'Workflow update outcomes seen by the admitting request',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.readmitted = new Counter({
      name: 'workflow_update_readmitted_total',
      help: 'Updates admitted again because their speculative (unwritten) admission was lost with the cached run',
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'workflow_update_request_latency_seconds',
      help: 'UpdateWorkflowExecution latency by returned stage',
      labelNames: ['stage'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}
