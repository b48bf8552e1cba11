/** Tunables, with Temporal's defaults where one exists (matching-foundations §1). */
export interface MatchingOptions {
  /** Longest a poll is held (matching.longPollExpirationInterval). */
  readonly maxPollWaitMs: number;
  /** Polls answer empty at least this long before the caller's deadline (returnEmptyTaskTimeBudget); more for longer polls (pollAnswerMarginMs). */
  readonly pollReturnBeforeDeadlineMs: number;
  /** A sticky queue with no poll for this long refuses adds (stickyPollerUnavailableWindow). */
  readonly stickyPollerUnavailableMs: number;
  /** Per-queue dispatch limit when neither the API nor a worker set one (per partition). */
  readonly systemRateLimit: number;
  /** Appends waiting for the writer before AddTask fails RESOURCE_EXHAUSTED. */
  readonly maxOutstandingAppends: number;
  readonly writeBatchSize: number;
  readonly readBatchSize: number;
  /** Refill from the database when fewer tasks than this are in memory. */
  readonly reloadAt: number;
  /** Most backlog tasks held in memory per queue. */
  readonly bufferCapacity: number;
  readonly deleteBatchSize: number;
  readonly deleteIntervalMs: number;
  /** Task ids per range id (RangeSize). */
  readonly rangeSize: number;
  readonly pollerHistoryTtlMs: number;
  /** Sticky queues with no poller for this long are unloaded (their tasks time out upstream). */
  readonly stickyIdleUnloadMs: number;
  /**
   * `reservePoller` skips polls due to answer (empty) sooner than this: the reserving caller's
   * commit must land well before the poll's own end, or the task it starts would not arrive.
   */
  readonly reserveMinRemainingMs: number;
}

export const DEFAULT_MATCHING_OPTIONS: MatchingOptions = {
  maxPollWaitMs: 60_000,
  pollReturnBeforeDeadlineMs: 1_000,
  stickyPollerUnavailableMs: 10_000,
  systemRateLimit: 10_000,
  maxOutstandingAppends: 250,
  writeBatchSize: 100,
  readBatchSize: 1000,
  reloadAt: 100,
  bufferCapacity: 2000,
  deleteBatchSize: 100,
  deleteIntervalMs: 200,
  rangeSize: 100_000,
  pollerHistoryTtlMs: 5 * 60_000,
  stickyIdleUnloadMs: 5 * 60_000,
  reserveMinRemainingMs: 2_000,
};
