/**
 * A token bucket with a one-second burst (Temporal's matcher uses GCRA with the same burst).
 * Rate 0 means paused; Infinity means unlimited. Time comes from the caller so tests can use a
 * manual clock.
 */
export class RateLimiter {
  #rate: number;
  #tokens: number;
  #at: number;

  constructor(rate: number, nowMs: number) {
    this.#rate = rate;
    this.#tokens = this.#burst();
    this.#at = nowMs;
  }

  get rate(): number {
    return this.#rate;
  }

  setRate(rate: number, nowMs: number): void {
    if (rate === this.#rate) return;
    this.#refill(nowMs);
    this.#rate = rate;
    this.#tokens = Math.min(this.#tokens, this.#burst());
  }

  /** Milliseconds until a token is available: 0 = now, Infinity = paused. */
  waitMs(nowMs: number): number {
    if (this.#rate === Infinity) return 0;
    if (this.#rate <= 0) return Infinity;
    this.#refill(nowMs);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  /** Takes a token if one is available. */
  tryTake(nowMs: number): boolean {
    if (this.waitMs(nowMs) > 0) return false;
    if (this.#rate !== Infinity) this.#tokens -= 1;
    return true;
  }

  #burst(): number {
    return this.#rate === Infinity ? Infinity : Math.max(1, this.#rate);
  }

  #refill(nowMs: number): void {
    if (this.#rate > 0 && this.#rate !== Infinity && nowMs > this.#at) {
      this.#tokens = Math.min(this.#burst(), this.#tokens + ((nowMs - this.#at) / 1000) * this.#rate);
    }
    this.#at = Math.max(this.#at, nowMs);
  }
}
