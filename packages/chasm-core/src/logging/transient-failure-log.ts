import type { Logger } from 'pino';
import { isTransientDatabaseError } from '../persistence/transient-errors.js';
import { LogRateLimiter } from './log-rate-limiter.js';

/** How often a recurring "the database is away" line may be written. */
export const TRANSIENT_LOG_INTERVAL_MS = 5_000;

/**
 * Logs failures of background work (task processing, backlog I/O) that retries by itself. While
 * the database is away every attempt fails: those become one short warn line per interval (the
 * driver's message, no stack, and how many were left out), so an outage does not flood the log
 * and hide the rest. Any other failure is logged as it is, at the given level, with its error.
 */
export class TransientFailureLog {
  private readonly limiter: LogRateLimiter;

  constructor(
    private readonly logger: Logger | undefined,
    intervalMs = TRANSIENT_LOG_INTERVAL_MS,
    now: () => number = Date.now,
  ) {
    this.limiter = new LogRateLimiter(intervalMs, now);
  }

  report(level: 'warn' | 'error', fields: Readonly<Record<string, unknown>>, msg: string, err: unknown): void {
    if (!this.logger) return;
    if (!isTransientDatabaseError(err)) {
      this.logger[level]({ ...fields, err }, msg);
      return;
    }
    const suppressed = this.limiter.take();
    if (suppressed === undefined) return;
    this.logger.warn({ ...fields, reason: (err as Error).message, suppressed }, `${msg} (database unavailable)`);
  }
}
