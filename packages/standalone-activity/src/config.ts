import { z } from 'zod';

const positive = (def: number) => z.number().int().positive().default(def);

/**
 * Tunables of the standalone activity package (Temporal's dynamic config keys in comments):
 * the schema of `settings.standalone-activity`.
 */
export const standaloneActivityConfigSchema = z.strictObject({
  /** activity.longPollTimeout: the longest a Describe/Poll long poll is held. */
  longPollTimeoutMs: positive(60_000),
  /** activity.longPollBuffer: answer this long before the caller's deadline. */
  longPollBufferMs: z.number().int().nonnegative().default(1_000),
  /** Limits on ids, types, identities and request ids. */
  maxIdLength: positive(1_000),
  /** limit.blobSize.error: input, result, details and reasons. */
  blobSizeLimitBytes: positive(2 * 1024 * 1024),
  /** Failures recorded per attempt are truncated above this size. */
  maxAttemptFailureBytes: positive(4 * 1024),
  /** List page size cap (and default). */
  maxPageSize: positive(1_000),
  /**
   * history.enableStandaloneActivityOperatorCommands. Temporal defaults it to false; we default
   * to true because the SDK's pause/unpause/reset/updateOptions are part of what we ship.
   */
  enableOperatorCommands: z.boolean().default(true),
  /**
   * Start a new activity's first attempt in the start's own commit when a poller waits on its
   * queue, and answer that poll once the commit is durable (ADR 0042). Off: every attempt goes
   * through a dispatch task and matching, one more commit per activity (for comparison).
   */
  attemptHandoff: z.boolean().default(true),
  /**
   * Start an attempt a poller takes from the queue in memory, written with the attempt's next
   * commit (its completion, nearly always), while the attempt's start guard is pending (ADR
   * 0065). Off: the poll writes the start before it is answered, one more commit per attempt.
   * The guard is stored with every scheduled attempt either way.
   */
  lazyStart: z.boolean().default(true),
});

export type StandaloneActivityConfig = Readonly<z.output<typeof standaloneActivityConfigSchema>>;

export const DEFAULT_STANDALONE_ACTIVITY_CONFIG: StandaloneActivityConfig = standaloneActivityConfigSchema.parse({});
