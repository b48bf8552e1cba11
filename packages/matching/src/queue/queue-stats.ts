/**
 * What a task queue counts for DescribeTaskQueue and its backlog gauge: backlog size by
 * priority, add and dispatch rates (overall and by priority) and the pollers seen lately. Apart
 * from the dispatch in `TaskQueue` because none of it decides a match; the queue records into it
 * with direct method calls (no callback, no allocation per call beyond what it did before).
 */
import type { MatchingMetrics } from '../metrics.js';
import type { PollRequest } from '../types.js';
import { RateTracker } from './rate-tracker.js';

/** Pollers remembered at most; the least recently seen goes first. */
const MAX_POLLERS = 1000;

export interface PollerSeen {
  lastAccessMs: number;
  ratePerSecond?: number;
}

export class QueueStats {
  readonly countByPriority = new Map<number, number>();
  /** By identity, in order of the last poll (oldest first). */
  readonly pollers = new Map<string, PollerSeen>();
  readonly addRate = new RateTracker();
  readonly dispatchRate = new RateTracker();
  readonly addRateByPriority = new Map<number, RateTracker>();
  readonly dispatchRateByPriority = new Map<number, RateTracker>();
  lastPollMs = -Infinity;

  constructor(
    private readonly metrics: MatchingMetrics,
    private readonly labels: Readonly<Record<string, string>>,
  ) {}

  /** Restores the backlog counts read at load. */
  restoreCounts(countByPriority: ReadonlyMap<number, number>): void {
    for (const [p, n] of countByPriority) this.countByPriority.set(p, n);
    this.#updateBacklogGauge();
  }

  recordAdd(priority: number, nowMs: number): void {
    this.addRate.record(nowMs);
    tracker(this.addRateByPriority, priority).record(nowMs);
  }

  recordDispatch(priority: number, nowMs: number): void {
    this.dispatchRate.record(nowMs);
    tracker(this.dispatchRateByPriority, priority).record(nowMs);
  }

  seePoller(req: PollRequest, nowMs: number): void {
    this.lastPollMs = nowMs;
    const info: PollerSeen = { lastAccessMs: nowMs };
    if (req.ratePerSecond !== undefined) info.ratePerSecond = req.ratePerSecond;
    this.pollers.delete(req.identity); // keep insertion order = recency
    this.pollers.set(req.identity, info);
    if (this.pollers.size > MAX_POLLERS) {
      const oldest = this.pollers.keys().next().value;
      if (oldest !== undefined) this.pollers.delete(oldest);
    }
  }

  countChange(priority: number, delta: number): void {
    this.countByPriority.set(priority, Math.max(0, (this.countByPriority.get(priority) ?? 0) + delta));
    this.#updateBacklogGauge();
  }

  #updateBacklogGauge(): void {
    let n = 0;
    for (const v of this.countByPriority.values()) n += v;
    this.metrics.backlogCount.set(this.labels, n);
  }
}

function tracker(map: Map<number, RateTracker>, priority: number): RateTracker {
  let t = map.get(priority);
  if (!t) map.set(priority, (t = new RateTracker()));
  return t;
}
