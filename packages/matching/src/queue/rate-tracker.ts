/** Events per second over a 30 s window in 5 s buckets, like Temporal's task tracker. */
export class RateTracker {
  static readonly WINDOW_MS = 30_000;
  static readonly BUCKET_MS = 5_000;
  readonly #buckets = new Map<number, number>();

  record(nowMs: number, n = 1): void {
    const b = Math.floor(nowMs / RateTracker.BUCKET_MS);
    this.#buckets.set(b, (this.#buckets.get(b) ?? 0) + n);
    if (this.#buckets.size > 8) this.#trim(nowMs);
  }

  perSecond(nowMs: number): number {
    this.#trim(nowMs);
    let total = 0;
    for (const v of this.#buckets.values()) total += v;
    return total / (RateTracker.WINDOW_MS / 1000);
  }

  #trim(nowMs: number): void {
    const oldest = Math.floor((nowMs - RateTracker.WINDOW_MS) / RateTracker.BUCKET_MS);
    for (const b of this.#buckets.keys()) if (b <= oldest) this.#buckets.delete(b);
  }
}
