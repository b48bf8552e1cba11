/**
 * A task queue's rate limits: the queue-wide limiter (its rate from the API, the workers' poll
 * option or the system default) and one limiter per fairness key, scaled by the key's weight.
 * Apart from the dispatch in `TaskQueue` because it is self-contained state with its own rules;
 * the queue calls its methods directly (no callback, no allocation per call).
 */
import { RateLimiter } from '../rate-limiter.js';
import type { RateLimitSource } from '../matching-service.js';
import type { TaskQueueConfig } from './task-queue-config.js';

/** Limiters per fairness key kept at most; the least recently created goes first. */
const MAX_KEY_LIMITERS = 2000;

export class QueueRateLimits {
  readonly #keyLimiters = new Map<string, RateLimiter>();
  readonly #queueLimiter: RateLimiter;
  #workerRate: number | undefined;
  #config: TaskQueueConfig;
  /** When a limiter last held a task back (DescribeTaskQueue's rate_limiting_active). */
  lastThrottledMs = -Infinity;

  constructor(
    config: TaskQueueConfig,
    private readonly systemRate: number,
    nowMs: number,
  ) {
    this.#config = config;
    this.#queueLimiter = new RateLimiter(this.effective().requestsPerSecond, nowMs);
  }

  /** The queue-wide rate in force and where it comes from. */
  effective(): { requestsPerSecond: number; source: RateLimitSource } {
    const api = this.#config.queueRateLimit;
    if (api) return { requestsPerSecond: api.requestsPerSecond, source: 'api' };
    if (this.#workerRate !== undefined) return { requestsPerSecond: this.#workerRate, source: 'worker' };
    return { requestsPerSecond: this.systemRate, source: 'system' };
  }

  /** A poll named a rate (`maxTasksPerSecond`): it applies unless the API set one. */
  setWorkerRate(ratePerSecond: number, nowMs: number): void {
    this.#workerRate = ratePerSecond;
    this.#queueLimiter.setRate(this.effective().requestsPerSecond, nowMs);
  }

  /** New config: the queue rate follows it and per-key limiters start afresh. */
  setConfig(config: TaskQueueConfig, nowMs: number): void {
    this.#config = config;
    this.#queueLimiter.setRate(this.effective().requestsPerSecond, nowMs);
    this.#keyLimiters.clear();
  }

  /** A fairness key's weight: the config's override, else the task's own. */
  weightOf(key: string, taskWeight: number): number {
    return this.#config.fairnessWeightOverrides[key] ?? taskWeight;
  }

  /** How long until the queue's limiter has a token (0: now). */
  queueWaitMs(nowMs: number): number {
    return this.#queueLimiter.waitMs(nowMs);
  }

  /** How long until the key's limiter has a token (0: now, or no per-key limit). */
  keyWaitMs(key: string, weight: number, nowMs: number): number {
    return this.#keyLimiter(key, weight, nowMs)?.waitMs(nowMs) ?? 0;
  }

  /** How long until both the queue's and the key's limiter have a token (0: now). */
  waitMs(key: string, weight: number, nowMs: number): number {
    return Math.max(this.#queueLimiter.waitMs(nowMs), this.#keyLimiter(key, weight, nowMs)?.waitMs(nowMs) ?? 0);
  }

  /** Takes a token from both limiters, which the caller found ready (`waitMs` 0). */
  consume(key: string, weight: number, nowMs: number): void {
    this.#queueLimiter.tryTake(nowMs);
    this.#keyLimiter(key, weight, nowMs)?.tryTake(nowMs);
  }

  /** Takes a token from both limiters if both have one; otherwise notes the throttling. */
  tryTake(key: string, weight: number, nowMs: number): boolean {
    const keyLimiter = this.#keyLimiter(key, weight, nowMs);
    if (this.#queueLimiter.waitMs(nowMs) > 0 || (keyLimiter && keyLimiter.waitMs(nowMs) > 0)) {
      this.lastThrottledMs = nowMs;
      return false;
    }
    this.#queueLimiter.tryTake(nowMs);
    keyLimiter?.tryTake(nowMs);
    return true;
  }

  /** Per-key limiter (default per-key rate scaled by the key's weight), if a default is set. */
  #keyLimiter(key: string, weight: number, nowMs: number): RateLimiter | undefined {
    const def = this.#config.fairnessKeysRateLimitDefault;
    if (!def) return undefined;
    const rate = def.requestsPerSecond * this.weightOf(key, weight);
    let l = this.#keyLimiters.get(key);
    if (!l) {
      if (this.#keyLimiters.size >= MAX_KEY_LIMITERS) {
        const oldest = this.#keyLimiters.keys().next().value;
        if (oldest !== undefined) this.#keyLimiters.delete(oldest);
      }
      this.#keyLimiters.set(key, (l = new RateLimiter(rate, nowMs)));
    } else l.setRate(rate, nowMs);
    return l;
  }
}
