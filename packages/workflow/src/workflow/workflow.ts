import type { TaskPriority } from '@chasm/matching';
import { lib } from '../library-builder.js';
import {
  dataMapOf,
  mapOf,
  type ComponentOf,
  type MutableContext,
  type SearchAttributeValue,
  withFields,
} from '@chasm/core';
import { historyBatchCodec } from '../history/history-batch.js';
import { Activity } from '../activity/activity.js';
import { Callback } from '../callback/callback.js';

/** A run's status, as in temporal.api.enums.v1.WorkflowExecutionStatus. */
export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'continuedAsNew' | 'timedOut';

/** The one workflow task a run may have: scheduled, then started. */
export interface WorkflowTaskInfo {
  /** 0 for a transient task until it starts (its ids are synthesised at start). */
  scheduledEventId: number;
  /** 0 until started. */
  startedEventId: number;
  attempt: number;
  /** Attempts >= 2 after a failure or timeout: Scheduled/Started are not persisted until completion. */
  transient: boolean;
  queueName: string;
  queueKind: 'normal' | 'sticky';
  scheduledTime: number;
  startedTime: number;
  identity: string;
  requestId: string;
  /** Distinguishes task instances; tokens and dispatch/timeout tasks carry it. */
  stamp: number;
  /**
   * Held in memory only (speculative-task.ts): ids synthesised like a transient task's, never
   * persisted while set (the first commit of the run settles it into a normal task).
   */
  speculative?: boolean;
  /**
   * Started in memory only (lazy-start.ts, ADR 0063): a stored sticky task handed to a poller
   * without a commit; its Started event is synthesised with the id it gets when written. Never
   * persisted while set: the first commit of the run (the completion, usually) settles it.
   */
  lazy?: boolean;
  /**
   * A stored normal-queue task with a start guard (ADR 0064): until this time (ms) a poller may
   * start it in memory; the guard timer written with it at this time makes such a start durable.
   * Absent on sticky, transient and speculative tasks, on tasks stored before ADR 0064 and once
   * the guard has run: those are started with a commit.
   */
  startGuardAt?: number;
}

export interface TimerInfo {
  readonly startedEventId: number;
  readonly fireAt: number;
  readonly stamp: number;
}

/** An externally caused event that arrived while a workflow task was started. */
export interface BufferedEvent {
  /** Encoded HistoryEvent without id (assigned when flushed). */
  readonly bytes: Uint8Array;
  /** Activity results: `started_event_id` is the id of the event flushed just before it. */
  readonly startedIsPrevious?: boolean;
  /** Child results: `started_event_id` is the child's ChildWorkflowExecutionStarted id (known at flush). */
  readonly childInitiated?: number;
}

export interface ChildInfo {
  readonly initiatedEventId: number;
  startedEventId: number;
  readonly workflowId: string;
  runId: string;
  readonly workflowType: string;
  readonly namespace: string;
  readonly namespaceId: string;
  readonly parentClosePolicy: number;
  /** Started, then closed (result recorded) or failed to start. */
  status: 'initiated' | 'started' | 'closed';
}

export interface ParentInfo {
  readonly namespace: string;
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly initiatedEventId: number;
}

/** Persisted state of a workflow run (Temporal's mutable state, minus what lives in children). */
export interface WorkflowState {
  status: WorkflowStatus;
  namespace: string;
  namespaceId: string;
  workflowId: string;
  runId: string;
  firstExecutionRunId: string;
  workflowType: string;
  taskQueue: string;
  /** The run's priority (start request), handed to matching with its workflow tasks; absent = default. */
  priority?: TaskPriority;
  startTime: number;
  executionTime: number;
  closeTime: number | null;
  wftTimeoutMs: number;
  runTimeoutMs: number;
  executionTimeoutMs: number;
  /** Workflow retry attempt (1 for a fresh start). */
  attempt: number;
  /** Encoded temporal.api.common.v1.RetryPolicy, or null. */
  retryPolicy: Uint8Array | null;
  /** The original start attributes (encoded WorkflowExecutionStartedEventAttributes) for continue-as-new/retry. */
  nextEventId: number;
  historySizeBytes: number;
  wft: WorkflowTaskInfo | null;
  wftStamp: number;
  /** Attempt of the next workflow task (>1 after failures/timeouts). */
  wftAttempt: number;
  lastCompletedStartedEventId: number;
  sticky: { name: string; timeoutMs: number } | null;
  buffered: BufferedEvent[];
  timers: Record<string, TimerInfo>;
  timerStamp: number;
  children: Record<string, ChildInfo>;
  /** Initiated ids of signal/cancel-external requests not yet answered. */
  pendingExternal: number[];
  /**
   * The cancel requests among `pendingExternal` (the rest are signals), so each kind is counted
   * against its own limit. Absent on runs stored before it existed: they count as signals.
   */
  pendingExternalCancels?: number[];
  /** Recent signal request ids (dedup). */
  signalRequestIds: string[];
  cancelRequested: boolean;
  /** Decoded values of indexed search attributes (visibility). */
  searchAttributes: Record<string, SearchAttributeValue>;
  /** Encoded temporal.api.common.v1.SearchAttributes (describe). */
  searchAttributesBytes: Uint8Array | null;
  /** Encoded temporal.api.common.v1.Memo. */
  memo: Uint8Array | null;
  /** Set while the first workflow task waits out a start delay or retry/continue backoff. */
  backoffUntil: number | null;
  newExecutionRunId: string | null;
  startRequestId: string;
  parent: ParentInfo | null;
  /** Encoded temporal.api.sdk.v1.UserMetadata from the start request. */
  userMetadata: Uint8Array | null;
  /** Encoded Payloads: the last completion result (for describe/continue chains). */
  completionResult: Uint8Array | null;
  /** Reset points (reset-points.ts): one per distinct binary checksum / build id, oldest first. */
  autoResetPoints?: ResetPoint[];
  /** Reset links (reset-run.ts): the run a reset replaced this one with, or this run's reset facts. */
  reset?: ResetLinks;
  /** Set while an operator has paused the run (PauseWorkflowExecution): no workflow task is scheduled. */
  paused?: PauseInfo | null;
  /** Encoded temporal.api.workflow.v1.VersioningOverride set by UpdateWorkflowExecutionOptions. */
  versioningOverride?: Uint8Array | null;
  /** Set once the run's state passed limit.mutableStateSize.warn and that was logged (state-size-limit.ts). */
  stateSizeWarned?: boolean;
}

/** temporal.api.workflow.v1.WorkflowExecutionPauseInfo, time in ms. */
export interface PauseInfo {
  readonly identity: string;
  readonly reason: string;
  readonly time: number;
}

/** temporal.api.workflow.v1.ResetPointInfo, times in ms. */
export interface ResetPoint {
  readonly binaryChecksum: string;
  readonly buildId: string;
  readonly runId: string;
  readonly firstWorkflowTaskCompletedId: number;
  readonly createTime: number;
  readonly resettable: boolean;
}

export interface ResetLinks {
  /** On a run a reset terminated (or replaced): the new run. */
  resetRunId?: string;
  /** On a run a reset created: when, and the start time of the run it was reset from. */
  lastResetTime?: number;
  originalStartTime?: number;
}

/**
 * Late-bound hooks: the component definition must not import the modules that implement its
 * behaviour (they import it), so they register here.
 */
export const workflowHooks: {
  terminate?: (wf: WorkflowComponent, ctx: MutableContext, reason: string) => void;
  settleSpeculative?: (wf: WorkflowComponent, ctx: MutableContext) => void;
} = {};

export const STATUS_MAP = {
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
  terminated: 'terminated',
  continuedAsNew: 'continuedAsNew',
  timedOut: 'timedOut',
} as const;

/** The workflow run: the root of a `workflow.workflow` execution. */
export const Workflow = lib.component({
  name: 'workflow',
  children: {
    /** Append-only history batches keyed by zero-padded first event id. */
    history: dataMapOf(historyBatchCodec),
    /** Activities in flight, keyed by scheduled event id. */
    activities: mapOf(Activity),
    /**
     * Completion callbacks of the chain, keyed by index: STANDBY on every run, delivered by the
     * run that ends the chain (a run that continues hands them to the next one).
     */
    callbacks: mapOf(Callback),
    /** Extension point: other packages (workflow-update) hang their components here. */
    extensions: mapOf('any'),
  },
  lifecycle: (s: WorkflowState) =>
    s.status === 'running' ? 'running' : s.status === 'completed' || s.status === 'continuedAsNew' ? 'completed' : 'failed',
  // A paused run stays 'running' inside (it takes signals, updates, terminate, its timers fire) but
  // is persisted and listed as 'paused', as Temporal's WORKFLOW_EXECUTION_STATUS_PAUSED.
  executionStatus: (s: WorkflowState) => (s.status === 'running' && s.paused ? 'paused' : STATUS_MAP[s.status]),
  // Read at every commit (visibility fingerprint): withFields, not a spread-then-new-field literal (ADR 0041).
  searchAttributes: (s: WorkflowState) =>
    withFields(s.searchAttributes, {
      WorkflowType: s.workflowType,
      TaskQueue: s.taskQueue,
      ExecutionTime: new Date(s.executionTime),
    }),
  memo: (s: WorkflowState) => s.memo,
  terminate(wf, ctx, reason) {
    workflowHooks.terminate?.(wf, ctx, reason);
  },
  settleSpeculative(wf, ctx) {
    workflowHooks.settleSpeculative?.(wf, ctx);
  },
});
export type WorkflowComponent = ComponentOf<typeof Workflow>;
