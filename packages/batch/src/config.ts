import { z } from 'zod';

/** The plugin's settings (`settings.batch` in the server config), validated at start. */
export const batchConfigSchema = z.strictObject({
  /**
   * Operations per second of one batch when the request sets none, and the most it may ask for
   * (Temporal's `worker.batcherRPS`, default 50).
   */
  maxOperationsPerSecond: z.number().positive().default(50),
  /** Running batch operations per namespace (Temporal's `frontend.MaxConcurrentBatchOperationPerNamespace`, default 1). */
  maxConcurrentPerNamespace: z.number().int().positive().default(1),
  /** Executions read per visibility page (Temporal's batcher reads 1000). */
  pageSize: z.number().int().positive().max(10_000).default(1000),
  /** Operations in flight at once within a batch's slice (the rate limit still applies). */
  concurrency: z.number().int().positive().max(100).default(8),
});

export type BatchConfig = Readonly<z.output<typeof batchConfigSchema>>;
export const DEFAULT_BATCH_CONFIG: BatchConfig = batchConfigSchema.parse({});
