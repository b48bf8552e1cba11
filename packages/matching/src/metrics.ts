import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const LABELS = ['namespace', 'taskqueue', 'task_type'] as const;
type Labels = (typeof LABELS)[number];

/** Matching's metrics, named like Temporal's where one exists. */
export interface MatchingMetrics {
  readonly tasksAdded: Counter<Labels>;
  readonly tasksSyncMatched: Counter<Labels>;
  readonly tasksSpooled: Counter<Labels>;
  readonly tasksDispatched: Counter<Labels>;
  readonly tasksDropped: Counter<Labels | 'reason'>;
  readonly pollLatency: Histogram<Labels | 'poll_result'>;
  readonly backlogCount: Gauge<Labels>;
  /** Pollers reserved for a task started in its caller's commit, by how the reservation ended. */
  readonly pollerReservations: Counter<Labels | 'outcome'>;
}

/** Registers on `registry`, reusing metrics already there (a restarted service in one process). */
export function createMatchingMetrics(registry: Registry): MatchingMetrics {
  const get = <M>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    get(name, () => new Counter({ name, help, labelNames, registers: [registry] }));
  return {
    tasksAdded: counter('tasks_added', 'Tasks added to a task queue', LABELS),
    tasksSyncMatched: counter('poll_success_sync', 'Tasks handed to a waiting poller without touching the backlog', LABELS),
    tasksSpooled: counter('tasks_spooled', 'Tasks written to the backlog', LABELS),
    tasksDispatched: counter('tasks_dispatched', 'Tasks dispatched to pollers (sync and backlog)', LABELS),
    tasksDropped: counter('tasks_dropped', 'Tasks dropped (expired or stale)', [...LABELS, 'reason']),
    pollLatency: get(
      'poll_latency',
      () =>
        new Histogram({
          name: 'poll_latency',
          help: 'Seconds a poll waited before it got a task or timed out',
          labelNames: [...LABELS, 'poll_result'],
          buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 10, 30, 60],
          registers: [registry],
        }),
    ),
    pollerReservations: counter(
      'poller_reservations',
      'Pollers reserved for a task started in its caller\'s commit: delivered, released unused, or lost (the poll ended first)',
      [...LABELS, 'outcome'],
    ),
    backlogCount: get(
      'approximate_backlog_count',
      () =>
        new Gauge({
          name: 'approximate_backlog_count',
          help: 'Tasks in a queue backlog',
          labelNames: LABELS,
          registers: [registry],
        }),
    ),
  };
}
