/** Tunables of the workflow package (Temporal's defaults unless noted). */
export interface WorkflowConfig {
  /** Workflow task start-to-close timeout when the start request has none. */
  readonly defaultWorkflowTaskTimeoutMs: number;
  readonly maxWorkflowTaskTimeoutMs: number;
  /** How long GetWorkflowExecutionHistory with wait_new_event blocks before answering. */
  readonly historyLongPollMs: number;
  /** Default page size of GetWorkflowExecutionHistory. */
  readonly historyPageSize: number;
  /** suggest_continue_as_new thresholds. */
  readonly suggestContinueAsNewEvents: number;
  readonly suggestContinueAsNewBytes: number;
  /** How long a QueryWorkflow waits for a worker's answer at most. */
  readonly queryTimeoutMs: number;
  /** How long a query waits for the run to have no workflow task in flight before it is sent anyway. */
  readonly queryIdleWaitMs: number;
  /** limit.blobSize.error: activity results and heartbeat details above it are INVALID_ARGUMENT. */
  readonly blobSizeLimitBytes: number;
}

export const DEFAULT_WORKFLOW_CONFIG: WorkflowConfig = {
  defaultWorkflowTaskTimeoutMs: 10_000,
  maxWorkflowTaskTimeoutMs: 120_000,
  historyLongPollMs: 20_000,
  historyPageSize: 1000,
  suggestContinueAsNewEvents: 4096,
  suggestContinueAsNewBytes: 4 * 1024 * 1024,
  queryTimeoutMs: 30_000,
  queryIdleWaitMs: 5_000,
  blobSizeLimitBytes: 2 * 1024 * 1024,
};
