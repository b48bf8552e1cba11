import { Counter, type Registry } from 'prom-client';

/** A few counters named like Temporal's where one exists. */
export class WorkflowMetrics {
  readonly started: Counter;
  readonly closed: Counter<'status'>;
  readonly workflowTasks: Counter<'outcome'>;
  readonly activityTasks: Counter<'outcome'>;
  readonly callbackDeliveries: Counter<'outcome'>;
  readonly resets: Counter;
  readonly eagerStarts: Counter;
  readonly eagerStartsDenied: Counter<'reason'>;
  readonly cronContinued: Counter<'closed'>;
  readonly limits: Counter<'limit' | 'level'>;
  readonly speculativeTasks: Counter<'outcome'>;
  readonly lazyStarts: Counter;

  constructor(registry: Registry) {
    this.started = new Counter({ name: 'workflow_started_total', help: 'Workflow runs started', registers: [registry] });
    this.closed = new Counter({ name: 'workflow_closed_total', help: 'Workflow runs closed', labelNames: ['status'], registers: [registry] });
    this.workflowTasks = new Counter({
      name: 'workflow_task_total',
      help: 'Workflow tasks by outcome (completed, failed, timed_out)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.activityTasks = new Counter({
      name: 'workflow_activity_task_total',
      help: 'Activity tasks of workflows by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.callbackDeliveries = new Counter({
      name: 'workflow_callback_delivery_total',
      help: 'Completion callback delivery attempts by outcome (succeeded, retrying, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.resets = new Counter({ name: 'workflow_reset_total', help: 'Workflow resets (ResetWorkflowExecution)', registers: [registry] });
    // Temporal's workflow_eager_execution and workflow_eager_execution_denied.
    this.eagerStarts = new Counter({
      name: 'workflow_eager_execution_total',
      help: 'Workflow starts that asked for eager execution (request_eager_execution)',
      registers: [registry],
    });
    this.eagerStartsDenied = new Counter({
      name: 'workflow_eager_execution_denied_total',
      help: 'Eager starts answered without a workflow task, by reason (first_workflow_task_backoff, task_already_dispatched)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.cronContinued = new Counter({
      name: 'workflow_cron_continued_total',
      help: 'Cron runs followed by the next run of their chain, by how they closed (completed, failed, timedOut)',
      labelNames: ['closed'],
      registers: [registry],
    });
    this.speculativeTasks = new Counter({
      name: 'workflow_speculative_task_total',
      help: 'Speculative workflow tasks by outcome (handed_off: started for a waiting poller by the transaction that scheduled it; matched: a poller took it in memory; converted: stored as a normal task; discarded: rejections only, nothing written)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.lazyStarts = new Counter({
      name: 'workflow_lazy_start_total',
      help: 'Stored workflow tasks started in memory when polled, their Started event written with the next commit of the run (queue: sticky, ADR 0063; normal, ADR 0064)',
      labelNames: ['queue'],
      registers: [registry],
    });
    this.limits = new Counter({
      name: 'workflow_limit_exceeded_total',
      help: 'Runs past a limit (limit: history_count, history_size, pending_activities, ...; level: warn, or error when refused or terminated)',
      labelNames: ['limit', 'level'],
      registers: [registry],
    });
  }
}
