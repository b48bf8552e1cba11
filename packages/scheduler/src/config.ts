import { z } from 'zod';

const positive = (def: number) => z.number().int().positive().default(def);

/**
 * Tunables of the scheduler package, the schema of `settings.scheduler`. Defaults are Temporal's
 * (`chasm/lib/scheduler/config.go` Tweakables; reference A.13).
 */
export const schedulerConfigSchema = z.strictObject({
  /** Catch-up window when a schedule sets none (or ≤ 0). */
  defaultCatchupWindowMs: positive(365 * 24 * 3600_000),
  /** The smallest catch-up window a schedule may set. */
  minCatchupWindowMs: positive(10_000),
  /** Buffered starts per schedule, counting running and recently completed ones. */
  maxBufferSize: positive(1000),
  /** Buffer room kept for the generator when backfills fill it. */
  generatorBufferReserveSize: positive(50),
  /** Starts, cancels and terminates one execute task issues before handing over to the next. */
  maxActionsPerExecution: positive(5),
  /** A schedule with nothing left to do closes this long after its last activity (0 = never). */
  idleTimeMs: z.number().int().nonnegative().default(7 * 24 * 3600_000),
  /** Attempts to start one action before it is dropped. */
  maxStartAttempts: positive(10),
  /** Backoff between start attempts: initial and maximum (system retry policy shape). */
  retryInitialMs: positive(1000),
  retryMaxMs: positive(60_000),
  /** Completed starts kept for Describe's recent actions. */
  recentCompletedKept: positive(10),
  /** Concurrent backfills (and trigger-immediately requests) per schedule. */
  maxBackfillers: positive(100),
  /** ListSchedules page size cap (and default). */
  maxPageSize: positive(1000),
  /** Limits on ids and request ids (limit.maxIDLength). */
  maxIdLength: positive(1000),
  /** Schedule plus memo (limit.blobSize.error). */
  blobSizeLimitBytes: positive(2 * 1024 * 1024),
});

export type SchedulerConfig = Readonly<z.output<typeof schedulerConfigSchema>>;

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = schedulerConfigSchema.parse({});
