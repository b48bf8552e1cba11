import { z } from 'zod';

const millis = (def: number) => z.number().int().positive().default(def);
const count = (def: number) => z.number().int().positive().default(def);

/**
 * Tunables of the workflow package (Temporal's defaults unless noted), as the schema of its
 * `settings.workflow` in the server config.
 */
export const workflowConfigSchema = z.strictObject({
  /** Workflow task start-to-close timeout when the start request has none. */
  defaultWorkflowTaskTimeoutMs: millis(10_000),
  maxWorkflowTaskTimeoutMs: millis(120_000),
  /** How long GetWorkflowExecutionHistory with wait_new_event blocks before answering. */
  historyLongPollMs: millis(20_000),
  /** Default page size of GetWorkflowExecutionHistory. */
  historyPageSize: count(1000),
  /** suggest_continue_as_new thresholds. */
  suggestContinueAsNewEvents: count(4096),
  suggestContinueAsNewBytes: count(4 * 1024 * 1024),
  /** How long a QueryWorkflow waits for a worker's answer at most. */
  queryTimeoutMs: millis(30_000),
  /** How long a query waits for the run to have no workflow task in flight before it is sent anyway. */
  queryIdleWaitMs: millis(5_000),
  /**
   * limit.blobSize.error: workflow inputs, signal inputs, activity results and heartbeat details
   * above it are INVALID_ARGUMENT ('Blob data size exceeds limit.').
   */
  blobSizeLimitBytes: count(2 * 1024 * 1024),
  /** limit.memoSize.error: a start's memo above it is INVALID_ARGUMENT ('Memo size exceeds limit.'). */
  memoSizeLimitBytes: count(2 * 1024 * 1024),
  /**
   * A start's or signal's header above it is INVALID_ARGUMENT. Ours: Temporal only records header
   * sizes (the `header_size` metric); the default is the blob limit.
   */
  headerSizeLimitBytes: count(2 * 1024 * 1024),
  /** limit.maxIDLength: workflow ids and types, task queue names, signal names, request ids, identities (UTF-8 bytes). */
  maxIdLength: count(1000),
  /** system.maxCallbacksPerWorkflow: completion callbacks a start may attach. */
  maxCallbacksPerWorkflow: count(32),
  /** callback.request.timeout: how long one delivery attempt may take. */
  callbackRequestTimeoutMs: millis(10_000),
  /** Delivery retries: delay(n) = min(initial * 2^(n-1), maximum), jittered (Temporal's system retry policy). */
  callbackRetryInitialIntervalMs: millis(1_000),
  callbackRetryMaximumIntervalMs: millis(60_000),
});

export type WorkflowConfig = Readonly<z.output<typeof workflowConfigSchema>>;

export const DEFAULT_WORKFLOW_CONFIG: WorkflowConfig = workflowConfigSchema.parse({});
