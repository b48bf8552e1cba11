/**
 * Temporal's system retry policy (`common/backoff/retrypolicy.go`), used wherever the server
 * retries its own work (callback deliveries, scheduled starts): delay(n) = min(initial·2^(n-1),
 * max), jittered to [0.8·d, d). Retries never expire.
 */
export function systemRetryDelayMs(attempt: number, initialMs: number, maximumMs: number, random: () => number = Math.random): number {
  const d = Math.min(initialMs * Math.pow(2, Math.max(0, attempt - 1)), maximumMs);
  return Math.round(0.8 * d + random() * 0.2 * d);
}
