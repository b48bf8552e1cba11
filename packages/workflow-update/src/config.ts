/** Tunables of Workflow Update (Temporal's defaults unless noted). */
export interface WorkflowUpdateConfig {
  /** history.maxInFlightUpdates: admitted or accepted, not yet completed, per run. */
  readonly maxInFlightUpdates: number;
  /** history.maxInFlightUpdatePayloads: bytes of the requests of in-flight updates, per run. */
  readonly maxInFlightUpdatePayloadBytes: number;
  /** history.maxTotalUpdates: updates per run, rejections excluded. */
  readonly maxTotalUpdates: number;
  /** How long UpdateWorkflowExecution / PollWorkflowExecutionUpdate wait at most before answering the stage reached. */
  readonly longPollMs: number;
  /** The soft timeout answers this long before the caller's deadline, so the answer arrives in time. */
  readonly deadlineMarginMs: number;
  /** Rejected updates kept per run for deduplication of retried requests (they do not count toward the limits). */
  readonly rejectedKept: number;
  /** history.failUpdateWorkflowTaskAttemptCount: no new updates while the workflow task keeps failing. */
  readonly failOnWorkflowTaskAttempt: number;
}

export const DEFAULT_WORKFLOW_UPDATE_CONFIG: WorkflowUpdateConfig = {
  maxInFlightUpdates: 10,
  maxInFlightUpdatePayloadBytes: 20 * 1024 * 1024,
  maxTotalUpdates: 2000,
  longPollMs: 20_000,
  deadlineMarginMs: 1_000,
  rejectedKept: 100,
  failOnWorkflowTaskAttempt: 3,
};
