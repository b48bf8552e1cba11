import { Counter, Histogram, type Registry } from 'prom-client';
import { isTerminal, type ActivityComponent } from './activity/activity.js';

/** Standalone activity metrics, registered once per prom-client registry. */
export class ActivityMetrics {
  readonly started: Counter<'outcome'>;
  readonly closed: Counter<'status'>;
  readonly dispatched: Counter<'outcome'>;
  readonly attemptsStarted: Counter;
  readonly scheduleToStartLatency: Histogram;
  readonly lazyStarts: Counter;
  readonly lazyStartsRestored: Counter;

  constructor(registry: Registry) {
    const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
    this.started = get('activity_start_requests_total', () => new Counter({
      name: 'activity_start_requests_total', help: 'StartActivityExecution calls by outcome (created, existing)', labelNames: ['outcome'] as const, registers: [registry],
    }));
    this.closed = get('activity_closed_total', () => new Counter({
      name: 'activity_closed_total', help: 'Standalone activities closed by worker responses, by final status', labelNames: ['status'] as const, registers: [registry],
    }));
    this.dispatched = get('activity_tasks_dispatched_total', () => new Counter({
      name: 'activity_tasks_dispatched_total', help: 'Activity attempts pushed to matching, by outcome', labelNames: ['outcome'] as const, registers: [registry],
    }));
    this.attemptsStarted = get('activity_attempts_started_total', () => new Counter({
      name: 'activity_attempts_started_total', help: 'Activity attempts handed to a worker', registers: [registry],
    }));
    this.lazyStarts = get('activity_lazy_start_total', () => new Counter({
      name: 'activity_lazy_start_total', help: 'Activity attempts started in memory by a poll, written with their next commit (ADR 0065)', registers: [registry],
    }));
    this.lazyStartsRestored = get('activity_lazy_start_restored_total', () => new Counter({
      name: 'activity_lazy_start_restored_total', help: 'Worker responses accepted for an attempt whose in-memory start was lost (ADR 0065)', registers: [registry],
    }));
    this.scheduleToStartLatency = get('activity_schedule_to_start_seconds', () => new Histogram({
      name: 'activity_schedule_to_start_seconds', help: 'From the attempt being due to a worker receiving it', registers: [registry],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    }));
  }
}

/** Counts the activity in `activity_closed_total` when the change just made closed it. */
export function countClosed(metrics: ActivityMetrics | undefined, a: ActivityComponent): void {
  if (metrics && isTerminal(a.state.status)) metrics.closed.inc({ status: a.state.status });
}
