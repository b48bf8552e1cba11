import { PRIORITY_LEVELS } from './rpc-class.js';

/** A rate: `rps` tokens a second, up to `burst` saved while idle. */
export interface Quota {
  readonly rps: number;
  readonly burst: number;
}

/**
 * Temporal's priority rate limiter (common/quotas), as token buckets: one bucket per priority
 * level, all with the same rate. A call of priority p is decided by bucket p alone and, once
 * admitted, also charged to every lower-priority bucket. So high-priority traffic gets the whole
 * rate whatever the low-priority traffic does, and low-priority calls get what is left: a flood
 * of starts empties the start bucket and is refused, while polls and completions, decided by
 * their own bucket, keep flowing.
 *
 * A charged bucket may go into debt (down to -burst): after a high-priority flood, low-priority
 * calls wait until it is paid back, as with Temporal's reservations, but never longer than
 * 2 × burst / rps. Time comes from the caller, so tests can use a manual clock.
 */
export class PriorityRateLimiter {
  readonly #tokens: number[];
  #at: number;

  constructor(
    readonly quota: Quota,
    nowMs: number,
  ) {
    this.#tokens = Array.from({ length: PRIORITY_LEVELS }, () => quota.burst);
    this.#at = nowMs;
  }

  /** Takes a token at `priority` if that level has one; charges every lower level too. */
  tryTake(priority: number, nowMs: number): boolean {
    this.#refill(nowMs);
    if ((this.#tokens[priority] ?? 0) < 1) return false;
    for (let p = priority; p < this.#tokens.length; p++) this.#tokens[p] = Math.max(-this.quota.burst, (this.#tokens[p] ?? 0) - 1);
    return true;
  }

  /** True when every bucket is full: the limiter remembers nothing and can be dropped. */
  idle(nowMs: number): boolean {
    this.#refill(nowMs);
    return this.#tokens.every((t) => t >= this.quota.burst);
  }

  #refill(nowMs: number): void {
    if (nowMs <= this.#at) return;
    const add = ((nowMs - this.#at) / 1000) * this.quota.rps;
    for (let p = 0; p < this.#tokens.length; p++) this.#tokens[p] = Math.min(this.quota.burst, (this.#tokens[p] ?? 0) + add);
    this.#at = nowMs;
  }
}
