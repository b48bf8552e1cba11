import { z } from 'zod';

const millis = (def: number) => z.number().int().positive().default(def);
const count = (def: number) => z.number().int().positive().default(def);

/**
 * The limits a run and the requests that change it are held to (Temporal's dynamic config keys
 * and defaults in comments), overridable per namespace with `namespaceLimits`.
 */
const limitFields = {
  /**
   * limit.blobSize.error: workflow inputs, signal inputs, activity inputs and results, command
   * payloads above it are refused ('Blob data size exceeds limit.' at the door; a command
   * carrying one fails its workflow task and terminates the run, as Temporal does).
   */
  blobSizeLimitBytes: count(2 * 1024 * 1024),
  /** limit.blobSize.warn: above it a payload is accepted with a warn log and a metric. */
  blobSizeWarnBytes: count(512 * 1024),
  /** limit.memoSize.error: a start's memo above it is INVALID_ARGUMENT ('Memo size exceeds limit.'). */
  memoSizeLimitBytes: count(2 * 1024 * 1024),
  /** limit.memoSize.warn */
  memoSizeWarnBytes: count(2 * 1024),
  /**
   * A start's or signal's header above it is INVALID_ARGUMENT. Ours: Temporal only records header
   * sizes (the `header_size` metric); the default is the blob limit.
   */
  headerSizeLimitBytes: count(2 * 1024 * 1024),
  /** limit.maxIDLength: workflow ids and types, task queue names, signal names, request ids, identities (UTF-8 bytes). */
  maxIdLength: count(1000),
  /** limit.searchAttributesNumberOfKeys: search attributes one request may set. */
  searchAttributesMaxCount: count(100),
  /** limit.searchAttributesSizeOfValue: bytes of one search attribute value. */
  searchAttributeValueMaxBytes: count(2 * 1024),
  /** limit.searchAttributesTotalSize: bytes of a request's search attributes together. */
  searchAttributesTotalMaxBytes: count(40 * 1024),
  /** limit.historyCount.warn: a run whose history passes it is logged (once) and counted. */
  historyCountLimitWarn: count(10_240),
  /**
   * limit.historyCount.error: a workflow task completion or signal that would take the history
   * past it is discarded and the run is terminated ('Workflow history count exceeds limit.').
   */
  historyCountLimitError: count(51_200),
  /** limit.historySize.warn (bytes of encoded events). */
  historySizeLimitWarnBytes: count(10 * 1024 * 1024),
  /** limit.historySize.error: as the count limit ('Workflow history size exceeds limit.'). */
  historySizeLimitErrorBytes: count(50 * 1024 * 1024),
  /**
   * limit.mutableStateSize.warn: a run whose state (the workflow's and its activities', callbacks'
   * and updates' components, history excluded) passes it is logged once and counted.
   */
  mutableStateSizeLimitWarnBytes: count(1024 * 1024),
  /**
   * limit.mutableStateSize.error: a workflow task completion or signal to a running run whose
   * state, as its last commit wrote it, is above it is discarded and the run is terminated
   * ('Workflow mutable state size exceeds limit.'). Temporal's is global; ours can be set per namespace.
   */
  mutableStateSizeLimitErrorBytes: count(8 * 1024 * 1024),
  /** limit.numPendingActivities.error: ScheduleActivityTask past it fails the task (PENDING_ACTIVITIES_LIMIT_EXCEEDED). */
  maxPendingActivities: count(2000),
  /** limit.numPendingChildExecutions.error (PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED). */
  maxPendingChildExecutions: count(2000),
  /** limit.numPendingSignals.error: signals to external workflows in flight (PENDING_SIGNALS_LIMIT_EXCEEDED). */
  maxPendingSignals: count(2000),
  /** limit.numPendingCancelRequests.error: cancel requests to external workflows in flight (PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED). */
  maxPendingCancelRequests: count(2000),
};

type LimitKey = keyof typeof limitFields;

/** A namespace's overrides: any of the limits, none required. */
const namespaceLimitsSchema = z.strictObject(
  Object.fromEntries(Object.keys(limitFields).map((k) => [k, z.number().int().positive().optional()])) as Record<LimitKey, z.ZodOptional<z.ZodNumber>>,
);

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
   * How long a speculative workflow task (ADR 0034) is offered to pollers, in memory, before the
   * run is committed and it becomes a normal, stored task (Temporal's
   * SpeculativeWorkflowTaskScheduleToStartTimeout, 5 s).
   */
  speculativeScheduleToStartMs: millis(5_000),
  /**
   * A stored workflow task taken from a sticky queue is started in memory and written with its
   * completion, one commit instead of two (ADR 0063); its sticky schedule-to-start timer, already
   * stored, makes it durable if the process or cache entry is lost first. Ours, not Temporal's.
   */
  lazyStickyStart: z.boolean().default(true),
  /**
   * The same for a stored task taken from a normal queue (ADR 0064), made durable by a start
   * guard timer stored with the task at its start-to-close timeout: a start lost before it fires
   * is offered again. Ours, not Temporal's.
   */
  lazyNormalStart: z.boolean().default(true),
  ...limitFields,
  /**
   * Per-namespace overrides of the limits above, keyed by namespace name (Temporal's dynamic
   * config constrained by namespace), e.g. `{ "tenant-a": { historyCountLimitError: 20000 } }`.
   */
  namespaceLimits: z.record(z.string().min(1), namespaceLimitsSchema).default({}),
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

/**
 * The settings with a namespace's limit overrides applied (the same object when it has none, so
 * the common case copies nothing).
 */
export function limitsFor(config: WorkflowConfig, namespace: string): WorkflowConfig {
  const o = config.namespaceLimits[namespace];
  if (!o) return config;
  const out: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as WorkflowConfig;
}
