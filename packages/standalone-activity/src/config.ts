/** Tunables of the standalone activity package (Temporal's dynamic config keys in comments). */
export interface StandaloneActivityConfig {
  /** activity.longPollTimeout: the longest a Describe/Poll long poll is held. */
  readonly longPollTimeoutMs: number;
  /** activity.longPollBuffer: answer this long before the caller's deadline. */
  readonly longPollBufferMs: number;
  /** Limits on ids, types, identities and request ids. */
  readonly maxIdLength: number;
  /** limit.blobSize.error: input, result, details and reasons. */
  readonly blobSizeLimitBytes: number;
  /** Failures recorded per attempt are truncated above this size. */
  readonly maxAttemptFailureBytes: number;
  /** List page size cap (and default). */
  readonly maxPageSize: number;
  /**
   * history.enableStandaloneActivityOperatorCommands. Temporal defaults it to false; we default
   * to true because the SDK's pause/unpause/reset/updateOptions are part of what we ship.
   */
  readonly enableOperatorCommands: boolean;
}

export const DEFAULT_STANDALONE_ACTIVITY_CONFIG: StandaloneActivityConfig = {
  longPollTimeoutMs: 60_000,
  longPollBufferMs: 1_000,
  maxIdLength: 1_000,
  blobSizeLimitBytes: 2 * 1024 * 1024,
  maxAttemptFailureBytes: 4 * 1024,
  maxPageSize: 1_000,
  enableOperatorCommands: true,
};
