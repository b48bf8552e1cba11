import type { CompletionCallback, MutableContext } from '@chasm/core';
import { event } from '../history/events.js';
import { durationToMs, encodeMessage, msToDuration, msToTimestamp } from '@chasm/matching';
import { api, type temporal } from '../proto.js';
import { HistoryWriter } from './history-writer.js';
import { armRunTimeout, scheduleWorkflowTask } from './mutable-state.js';
import { upsertSearchAttributes } from './search-attributes.js';
import { WorkflowBackoff } from './workflow.tasks.js';
import { cronBackoffMs } from './cron.js';
import { registerCallbacks } from '../callback/callback.tasks.js';
import type { WorkflowComponent, WorkflowState } from './workflow.js';
import { taskPriority } from './task-priority.js';

export type StartedAttributes = temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes;
export const StartedAttributesMsg = api.history.v1.WorkflowExecutionStartedEventAttributes;

/** A signal delivered with the start (SignalWithStart): event 2. */
export interface StartSignal {
  readonly signalName: string;
  readonly input: temporal.api.common.v1.IPayloads | null | undefined;
  readonly header: temporal.api.common.v1.IHeader | null | undefined;
  readonly identity: string;
  readonly requestId: string;
}

export interface RunSpec {
  readonly namespaceId: string;
  /** Everything about the run, exactly as its WorkflowExecutionStarted event will say. */
  readonly started: StartedAttributes;
  readonly requestId: string;
  readonly signal?: StartSignal;
  readonly userMetadata?: temporal.api.sdk.v1.IUserMetadata | null;
  readonly links?: readonly temporal.api.common.v1.ILink[];
}

/** The initial state of a run (the engine's `init`); `runId` is the engine's new run id. */
export function initRunState(spec: RunSpec, runId: string, now: number): WorkflowState {
  const a = spec.started;
  const backoffMs = durationToMs(a.firstWorkflowTaskBackoff, 'first_workflow_task_backoff') || firstCronBackoffMs(a, now);
  const state: WorkflowState = {
    status: 'running',
    namespace: '',
    namespaceId: spec.namespaceId,
    workflowId: a.workflowId ?? '',
    runId,
    firstExecutionRunId: a.firstExecutionRunId || runId,
    workflowType: a.workflowType?.name ?? '',
    taskQueue: a.taskQueue?.name ?? '',
    ...(taskPriority(a.priority) ? { priority: taskPriority(a.priority)! } : {}),
    startTime: now,
    executionTime: now + backoffMs,
    closeTime: null,
    wftTimeoutMs: durationToMs(a.workflowTaskTimeout, 'workflow_task_timeout'),
    runTimeoutMs: durationToMs(a.workflowRunTimeout, 'workflow_run_timeout'),
    executionTimeoutMs: durationToMs(a.workflowExecutionTimeout, 'workflow_execution_timeout'),
    attempt: a.attempt || 1,
    retryPolicy: a.retryPolicy ? encodeMessage(api.common.v1.RetryPolicy, api.common.v1.RetryPolicy.fromObject(a.retryPolicy)) : null,
    nextEventId: 1,
    historySizeBytes: 0,
    wft: null,
    wftStamp: 0,
    wftAttempt: 1,
    lastCompletedStartedEventId: 0,
    sticky: null,
    buffered: [],
    timers: {},
    timerStamp: 0,
    children: {},
    pendingExternal: [],
    signalRequestIds: spec.signal?.requestId ? [spec.signal.requestId] : [],
    cancelRequested: false,
    searchAttributes: {},
    searchAttributesBytes: null,
    memo: a.memo ? encodeMessage(api.common.v1.Memo, api.common.v1.Memo.fromObject(a.memo)) : null,
    backoffUntil: backoffMs > 0 ? now + backoffMs : null,
    newExecutionRunId: null,
    startRequestId: spec.requestId,
    parent: a.parentWorkflowExecution?.workflowId
      ? {
          namespace: a.parentWorkflowNamespace ?? '',
          namespaceId: a.parentWorkflowNamespaceId ?? '',
          workflowId: a.parentWorkflowExecution.workflowId,
          runId: a.parentWorkflowExecution.runId ?? '',
          initiatedEventId: Number(a.parentInitiatedEventId ?? 0),
        }
      : null,
    userMetadata: spec.userMetadata ? encodeMessage(api.sdk.v1.UserMetadata, api.sdk.v1.UserMetadata.fromObject(spec.userMetadata)) : null,
    completionResult: null,
  };
  upsertSearchAttributes(state, a.searchAttributes);
  return state;
}

/**
 * The first run of a cron chain waits for the first cron time, as Temporal's
 * CreateHistoryStartWorkflowRequest does (GetBackoffForNextScheduleNonNegative from now); the
 * chain's later runs carry the backoff their predecessor computed.
 */
function firstCronBackoffMs(a: StartedAttributes, now: number): number {
  if (!a.cronSchedule || a.continuedExecutionRunId) return 0;
  return Math.max(0, cronBackoffMs(a.cronSchedule, now, now) ?? 0);
}

/** Writes WorkflowExecutionStarted (and the start signal), then the first task or its backoff. */
export function startRun(wf: WorkflowComponent, ctx: MutableContext, spec: RunSpec, namespace: string): void {
  const s = wf.state;
  s.namespace = namespace;
  const w = new HistoryWriter(wf, ctx);
  const a = spec.started;
  // The attributes as a copy of the spec's, then the run's own fields (a spread followed by new
  // fields costs ~1.5 µs on Node 20's V8, ADR 0041).
  const attrs: StartedAttributes = Object.assign({}, a);
  attrs.originalExecutionRunId = s.runId;
  attrs.firstExecutionRunId = s.firstExecutionRunId;
  attrs.attempt = s.attempt;
  attrs.workflowTaskTimeout = msToDuration(s.wftTimeoutMs);
  if (s.executionTime > s.startTime) attrs.firstWorkflowTaskBackoff = msToDuration(s.executionTime - s.startTime);
  if (s.executionTimeoutMs > 0) attrs.workflowExecutionExpirationTime = msToTimestamp(s.startTime + s.executionTimeoutMs);
  const started = event('workflowExecutionStartedEventAttributes', attrs);
  if (spec.links) started.links = [...spec.links];
  w.append(started);
  if (spec.signal) {
    w.append(
      event('workflowExecutionSignaledEventAttributes', {
        signalName: spec.signal.signalName,
        ...(spec.signal.input ? { input: spec.signal.input } : {}),
        ...(spec.signal.header ? { header: spec.signal.header } : {}),
        identity: spec.signal.identity,
        requestId: spec.signal.requestId,
      }),
    );
  }
  registerCallbacks(wf, completionCallbacksOf(a), s.startTime);
  if (s.backoffUntil !== null) ctx.addTask(wf, WorkflowBackoff, {}, { at: new Date(s.backoffUntil) });
  else scheduleWorkflowTask(w);
  armRunTimeout(wf, ctx);
  w.commit();
}

/** Reads the parent of a run from its started attributes. */
export function parentOf(a: StartedAttributes): { workflowId: string; runId: string } | undefined {
  const p = a.parentWorkflowExecution;
  return p?.workflowId ? { workflowId: p.workflowId, runId: p.runId ?? '' } : undefined;
}


/** The completion callbacks of a run's started attributes (validated at the door: each has `nexus`). */
export function completionCallbacksOf(a: StartedAttributes): CompletionCallback[] {
  return (a.completionCallbacks ?? []).flatMap((c) => (c.nexus ? [{ url: c.nexus.url ?? '', header: { ...(c.nexus.header ?? {}) } }] : []));
}
