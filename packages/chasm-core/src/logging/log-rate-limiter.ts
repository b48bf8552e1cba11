/**
 * At most one log line per interval for a condition that can recur on every call (a database
 * outage fails every RPC: hundreds of lines a second under load, each hiding the rest of the
 * log). The lines in between are counted, and the next line says how many were left out.
 */
export class LogRateLimiter {
  private nextAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The number of lines left out since the last one when a line may be written now, else undefined. */
  take(): number | undefined {
    const t = this.now();
    if (t < this.nextAt) {
      this.suppressed++;
      return undefined;
    }
    this.nextAt = t + this.intervalMs;
    const left = this.suppressed;
    this.suppressed = 0;
    return left;
  }
}
