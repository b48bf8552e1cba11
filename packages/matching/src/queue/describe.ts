/**
 * DescribeTaskQueue for one queue: pollers seen within the history window, backlog count and age,
 * add/dispatch rates and whether a rate limit held tasks back, overall and by priority. A read-only
 * view over the queue's stats, limits and in-memory backlog, apart from the dispatch it never takes
 * part in.
 */
import type { PollerInfo, TaskQueueDescription, TaskQueueStats } from '../matching-service.js';
import type { OrderedBuffer } from './ordered-buffer.js';
import type { QueueRateLimits } from './rate-limits.js';
import type { QueueStats } from './queue-stats.js';
import { RateTracker } from './rate-tracker.js';
import type { TaskQueueConfig } from './task-queue-config.js';
import type { QueuedTask } from './waiter.js';

export interface DescribeInput {
  readonly stats: QueueStats;
  readonly limits: QueueRateLimits;
  readonly buffer: Pick<OrderedBuffer<QueuedTask>, 'fromBest'>;
  readonly config: TaskQueueConfig;
  readonly pollerHistoryTtlMs: number;
}

export function describeQueue(q: DescribeInput, now: number): TaskQueueDescription {
  const { stats } = q;
  const pollers: PollerInfo[] = [];
  for (const [identity, p] of stats.pollers) {
    if (now - p.lastAccessMs > q.pollerHistoryTtlMs) continue;
    pollers.push({
      identity,
      lastAccessTime: new Date(p.lastAccessMs),
      ...(p.ratePerSecond !== undefined ? { ratePerSecond: p.ratePerSecond } : {}),
    });
  }
  pollers.reverse();
  const oldestByPriority = new Map<number, number>();
  for (const t of q.buffer.fromBest()) {
    const o = oldestByPriority.get(t.key.priority);
    if (o === undefined || t.createdAt.getTime() < o) oldestByPriority.set(t.key.priority, t.createdAt.getTime());
  }
  const throttled = now - q.limits.lastThrottledMs <= RateTracker.WINDOW_MS;
  const statsByPriorityKey = new Map<number, TaskQueueStats>();
  const priorities = new Set([...stats.countByPriority.keys(), ...stats.addRateByPriority.keys(), ...stats.dispatchRateByPriority.keys()]);
  for (const p of [...priorities].sort((a, b) => a - b)) {
    const oldest = oldestByPriority.get(p);
    statsByPriorityKey.set(p, {
      approximateBacklogCount: stats.countByPriority.get(p) ?? 0,
      approximateBacklogAgeMs: oldest === undefined ? 0 : now - oldest,
      tasksAddRate: stats.addRateByPriority.get(p)?.perSecond(now) ?? 0,
      tasksDispatchRate: stats.dispatchRateByPriority.get(p)?.perSecond(now) ?? 0,
      rateLimitingActive: throttled,
    });
  }
  const oldest = Math.min(...oldestByPriority.values());
  return {
    pollers,
    stats: {
      approximateBacklogCount: [...stats.countByPriority.values()].reduce((a, b) => a + b, 0),
      approximateBacklogAgeMs: Number.isFinite(oldest) ? now - oldest : 0,
      tasksAddRate: stats.addRate.perSecond(now),
      tasksDispatchRate: stats.dispatchRate.perSecond(now),
      rateLimitingActive: throttled,
    },
    statsByPriorityKey,
    config: q.config,
    effectiveRateLimit: q.limits.effective(),
  };
}
