import { PRE_ENCODED_FIELDS, withFields, type MutableContext, type PreEncodedFields } from '@chasm/core';
import { event } from '../history/events.js';
import { long, msToDuration, msToTimestamp } from '@chasm/matching';
import { Enums, type Failure, type HistoryEvent, type Payloads, type temporal } from '../proto.js';
import { HistoryWriter, readHistoryBytes } from './history-writer.js';
import { encodeWorkflowTaskToken } from './task-token.js';
import { DispatchWorkflowTask, dispatchOf, RunTimeout, WorkflowTaskStartGuard, WorkflowTaskTimeout } from './workflow.tasks.js';
import { ApplyParentClosePolicy, NotifyParent } from './child-tasks.js';
import { triggerCallbacks } from '../callback/callback.tasks.js';
import { workflowHooks, type WorkflowComponent, type WorkflowStatus } from './workflow.js';
import { workflowExtensions, type ProtocolMessage } from './extensions.js';
import type { WorkflowConfig } from '../config.js';

const Cause = Enums.WorkflowTaskFailedCause;
const TimeoutType = Enums.TimeoutType;

/**
 * Schedules a workflow task unless one is pending, the run is closed or paused (unpause schedules
 * the held task) or the first task waits out a backoff.
 */
export function scheduleWorkflowTask(w: HistoryWriter): void {
  const s = w.wf.state;
  if (s.status !== 'running' || s.wft !== null || s.backoffUntil !== null || s.paused) return;
  const attempt = s.wftAttempt;
  const sticky = s.sticky;
  const queueName = sticky ? sticky.name : s.taskQueue;
  const queueKind = sticky ? 'sticky' : 'normal';
  const transient = attempt > 1;
  const stamp = ++s.wftStamp;
  let scheduledEventId = 0;
  if (!transient) {
    scheduledEventId = w.append(
      event('workflowTaskScheduledEventAttributes', {
        taskQueue: taskQueueProto(queueName, queueKind, s.taskQueue),
        startToCloseTimeout: msToDuration(s.wftTimeoutMs),
        attempt,
      }),
    );
  }
  s.wft = {
    scheduledEventId,
    startedEventId: 0,
    attempt,
    transient,
    queueName,
    queueKind,
    scheduledTime: w.now,
    startedTime: 0,
    identity: '',
    requestId: '',
    stamp,
  };
  w.ctx.addTask(w.wf, DispatchWorkflowTask, dispatchOf(s));
  if (sticky) {
    w.ctx.addTask(w.wf, WorkflowTaskTimeout, { stamp, kind: 'scheduleToStart' }, { at: new Date(w.now + sticky.timeoutMs) });
  } else if (!transient) {
    // ADR 0064: the guard that lets a poller start this task in memory. Not written when the
    // task is started in this same commit (hand-off, eager start): it is invalid by then.
    const t = s.wft;
    t.startGuardAt = w.now + s.wftTimeoutMs;
    // The memory epoch (ADR 0067) tells the guard whether a start in memory can have been lost.
    w.ctx.addTask(w.wf, WorkflowTaskStartGuard, { stamp, epoch: w.ctx.memoryEpoch }, { at: new Date(t.startGuardAt) });
  }
}

export function taskQueueProto(name: string, kind: 'normal' | 'sticky', normalName: string): temporal.api.taskqueue.v1.ITaskQueue {
  return kind === 'sticky'
    ? { name, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName }
    : { name, kind: Enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
}

type WorkflowState = WorkflowComponent['state'];
type WorkflowTaskState = NonNullable<WorkflowState['wft']>;

/**
 * The Scheduled and Started events of a workflow task written after the fact, at their own
 * times: a transient attempt's when it completes, a speculative task's when it is settled.
 */
export function lateScheduledEvent(s: WorkflowState, t: WorkflowTaskState): HistoryEvent {
  return withFields(
    event('workflowTaskScheduledEventAttributes', {
      taskQueue: taskQueueProto(t.queueName, t.queueKind, s.taskQueue),
      startToCloseTimeout: msToDuration(s.wftTimeoutMs),
      attempt: t.attempt,
    }),
    { eventTime: msToTimestamp(t.scheduledTime) },
  );
}

export function lateStartedEvent(s: WorkflowState, t: WorkflowTaskState, scheduledEventId: number): HistoryEvent {
  return withFields(
    event('workflowTaskStartedEventAttributes', {
      scheduledEventId: long(scheduledEventId),
      identity: t.identity,
      requestId: t.requestId,
      historySizeBytes: long(s.historySizeBytes),
    }),
    { eventTime: msToTimestamp(t.startedTime) },
  );
}

/**
 * The Started event of a task started in memory (lazy-start.ts), as the worker was shown it,
 * without its id: written when the task is settled. Keyed by the task's state object, which
 * lives exactly as long as the cached run that holds the start.
 */
export const lazyStartedEvents = new WeakMap<WorkflowTaskState, HistoryEvent>();

/** When a started workflow task tells the worker to continue as new (the package's config). */
export type ContinueAsNewThresholds = Pick<WorkflowConfig, 'suggestContinueAsNewEvents' | 'suggestContinueAsNewBytes'>;

/**
 * Marks the scheduled task started for a poller and builds the poll response. Undefined when
 * the matching task is stale (another instance of the task, or the run moved on).
 */
export function startWorkflowTask(
  w: HistoryWriter,
  stamp: number,
  polledKind: 'normal' | 'sticky',
  identity: string,
  requestId: string,
  suggest: ContinueAsNewThresholds,
): (temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse & { [PRE_ENCODED_FIELDS]: PreEncodedFields }) | undefined {
  const s = w.wf.state;
  const t = s.wft;
  if (s.status !== 'running' || !t || t.stamp !== stamp || t.startedEventId !== 0) return undefined;
  // Started from the normal queue although scheduled on a sticky one: that worker is gone.
  if (polledKind === 'normal' && s.sticky) s.sticky = null;
  t.startedTime = w.now;
  t.identity = identity;
  t.requestId = requestId;
  // Extensions may ask for continue-as-new too (workflow-update: close to the total update limit).
  const extensionReasons: number[] = [];
  for (const ext of workflowExtensions()) extensionReasons.push(...(ext.continueAsNewReasons?.(w.wf) ?? []));
  const suggestContinueAsNew =
    s.nextEventId >= suggest.suggestContinueAsNewEvents || s.historySizeBytes >= suggest.suggestContinueAsNewBytes || extensionReasons.length > 0;
  const startedAttrs = {
    identity,
    requestId,
    historySizeBytes: long(s.historySizeBytes),
    suggestContinueAsNew,
    ...(extensionReasons.length > 0 ? { suggestContinueAsNewReasons: extensionReasons } : {}),
  };
  const transientEvents: HistoryEvent[] = [];
  if (t.transient || t.speculative) {
    // Transient attempt or speculative task: synthesise Scheduled and Started with the ids they
    // will get when written (on completion, or when a speculative task is settled).
    t.scheduledEventId = s.nextEventId;
    t.startedEventId = s.nextEventId + 1;
    transientEvents.push(
      // withFields, not `{ ...event(…), eventId, eventTime }`: the spread-then-new-field slow path (ADR 0041).
      withFields(
        event('workflowTaskScheduledEventAttributes', {
          taskQueue: taskQueueProto(t.queueName, t.queueKind, s.taskQueue),
          startToCloseTimeout: msToDuration(s.wftTimeoutMs),
          attempt: t.attempt,
        }),
        { eventId: long(t.scheduledEventId), eventTime: msToTimestamp(t.scheduledTime) },
      ),
      withFields(event('workflowTaskStartedEventAttributes', withFields(startedAttrs, { scheduledEventId: long(t.scheduledEventId) })), {
        eventId: long(t.startedEventId),
        eventTime: msToTimestamp(w.now),
      }),
    );
  } else if (t.lazy) {
    // Started in memory (lazy-start.ts): Scheduled is stored, Started gets the next id when
    // written, and is written as shown (kept until then).
    t.startedEventId = s.nextEventId;
    const started = event('workflowTaskStartedEventAttributes', withFields(startedAttrs, { scheduledEventId: long(t.scheduledEventId) }));
    lazyStartedEvents.set(t, withFields(started, { eventTime: msToTimestamp(w.now) }));
    transientEvents.push(withFields(started, { eventId: long(t.startedEventId), eventTime: msToTimestamp(w.now) }));
  } else {
    t.startedEventId = w.append(
      event('workflowTaskStartedEventAttributes', withFields(startedAttrs, { scheduledEventId: long(t.scheduledEventId) })),
    );
  }
  // A speculative task's timer is in memory (the caller arms it), a lazily started one's is
  // written when it is settled: neither update adds tasks.
  if (!t.speculative && !t.lazy) w.ctx.addTask(w.wf, WorkflowTaskTimeout, { stamp, kind: 'startToClose' }, { at: new Date(w.now + s.wftTimeoutMs) });
  w.commit();
  const from = polledKind === 'sticky' ? s.lastCompletedStartedEventId + 1 : 1;
  // The history goes out as stored bytes (see PRE_ENCODED_FIELDS): no decode, no re-encode.
  const historyBytes = readHistoryBytes(w.wf, from, transientEvents);
  // Extensions (workflow-update) deliver their protocol messages on the task being started.
  const messages: ProtocolMessage[] = [];
  for (const ext of workflowExtensions()) {
    messages.push(...(ext.outgoingMessages?.(w.wf, w.ctx, { stamp, startedEventId: t.startedEventId, attempt: t.attempt }) ?? []));
  }
  return {
    taskToken: encodeWorkflowTaskToken({
      namespaceId: s.namespaceId,
      workflowId: s.workflowId,
      runId: s.runId,
      scheduledEventId: t.scheduledEventId,
      startedEventId: t.startedEventId,
      attempt: t.attempt,
      stamp,
      startedTime: t.startedTime,
    }),
    workflowExecution: { workflowId: s.workflowId, runId: s.runId },
    workflowType: { name: s.workflowType },
    previousStartedEventId: long(s.lastCompletedStartedEventId),
    startedEventId: long(t.startedEventId),
    attempt: t.attempt,
    [PRE_ENCODED_FIELDS]: { history: historyBytes },
    workflowExecutionTaskQueue: taskQueueProto(s.taskQueue, 'normal', s.taskQueue),
    scheduledTime: msToTimestamp(t.scheduledTime),
    startedTime: msToTimestamp(w.now),
    ...(messages.length > 0 ? { messages } : {}),
  };
}

/** Ends the current task without completion: the next one is a transient retry on the normal queue. */
function retryWorkflowTask(w: HistoryWriter, incrementAttempt: boolean): void {
  const s = w.wf.state;
  s.wft = null;
  s.sticky = null;
  if (incrementAttempt) s.wftAttempt++;
  w.flushBuffered();
  scheduleWorkflowTask(w);
}

export function timeoutWorkflowTask(w: HistoryWriter, kind: 'startToClose' | 'scheduleToStart'): void {
  const s = w.wf.state;
  const t = s.wft;
  if (!t) return;
  if (kind === 'scheduleToStart') {
    // The sticky worker never picked it up: persisted attempt on the normal queue, same attempt.
    if (!t.transient) {
      w.append(
        event('workflowTaskTimedOutEventAttributes', {
          scheduledEventId: long(t.scheduledEventId),
          startedEventId: long(0),
          timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
        }),
      );
    }
    retryWorkflowTask(w, false);
    return;
  }
  if (!t.transient) {
    w.append(
      event('workflowTaskTimedOutEventAttributes', {
        scheduledEventId: long(t.scheduledEventId),
        startedEventId: long(t.startedEventId),
        timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
      }),
    );
  }
  retryWorkflowTask(w, true);
}

/** RespondWorkflowTaskFailed, or a server-side failure of the task (cause UNHANDLED_COMMAND…). */
export function failWorkflowTask(
  w: HistoryWriter,
  cause: number,
  failure: Failure | null | undefined,
  identity: string,
  binaryChecksum = '',
): void {
  const s = w.wf.state;
  const t = s.wft;
  if (!t) return;
  const wasSticky = t.queueKind === 'sticky';
  if (!t.transient) {
    w.append(
      event('workflowTaskFailedEventAttributes', {
        scheduledEventId: long(t.scheduledEventId),
        startedEventId: long(t.startedEventId),
        cause,
        ...(failure ? { failure } : {}),
        identity,
        binaryChecksum,
      }),
    );
  }
  // A failure on a sticky queue is retried as a fresh attempt on the normal queue; UnhandledCommand
  // is not the worker's fault either.
  const increment = !wasSticky && cause !== Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  retryWorkflowTask(w, increment);
}

export function fireTimer(w: HistoryWriter, timerId: string): void {
  const s = w.wf.state;
  const timer = s.timers[timerId];
  if (!timer) return;
  delete s.timers[timerId];
  w.external(event('timerFiredEventAttributes', { timerId, startedEventId: long(timer.startedEventId) }));
  scheduleWorkflowTask(w);
}

/**
 * Closes the run: pending work is dropped; the parent is told (unless a next run continues the
 * chain) and the parent close policy is applied to open children, both by side-effect tasks.
 * Completion callbacks fire only when the chain ends here: with `chainContinues` (continue-as-new,
 * a retry) the next run carries them (its started attributes) and these stay in STANDBY.
 */
export function closeWorkflow(w: HistoryWriter, status: Exclude<WorkflowStatus, 'running'>, chainContinues = status === 'continuedAsNew'): void {
  const s = w.wf.state;
  s.status = status;
  s.closeTime = w.now;
  s.wft = null;
  s.timers = {};
  for (const key of w.wf.fields.activities.keys()) w.wf.fields.activities.delete(key);
  if (s.parent) w.ctx.addTask(w.wf, NotifyParent, {});
  const open = Object.values(s.children).filter((c) => c.status !== 'closed' && c.parentClosePolicy !== PARENT_CLOSE_ABANDON);
  if (open.length > 0) {
    w.ctx.addTask(w.wf, ApplyParentClosePolicy, {
      children: open.map((c) => ({ namespaceId: c.namespaceId, workflowId: c.workflowId, policy: c.parentClosePolicy, runId: c.runId })),
    });
  }
  if (!chainContinues) triggerCallbacks(w.wf, w.ctx);
  for (const ext of workflowExtensions()) ext.onClose?.(w.wf, w.ctx, status);
  hooks.closed?.(s.status);
}

/**
 * Schedules a workflow task from outside the workflow package (an extension that has something
 * to deliver, e.g. an admitted update). No-op when a task is pending or the run is closed: a
 * started task is followed by a new one when an extension `needsWorkflowTask` after completion.
 */
export function requestWorkflowTask(wf: WorkflowComponent, ctx: MutableContext): void {
  const w = new HistoryWriter(wf, ctx);
  scheduleWorkflowTask(w);
  w.commit();
}

/**
 * Appends an externally caused event from outside a workflow task (an extension's task: a Nexus
 * operation started or completed), buffered while a workflow task is started, and schedules a
 * workflow task to deliver it. The run must be running. Returns the event id, or undefined when
 * buffered (its id is assigned when the task completes).
 */
export function recordExternalEvent(wf: WorkflowComponent, ctx: MutableContext, ev: HistoryEvent): number | undefined {
  const w = new HistoryWriter(wf, ctx);
  const id = w.external(ev);
  scheduleWorkflowTask(w);
  w.commit();
  return id;
}

const PARENT_CLOSE_ABANDON = Enums.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON;

/** Metrics hook set by the library. */
export const hooks: { closed?: (status: WorkflowStatus) => void } = {};

export interface SignalInput {
  readonly signalName: string;
  readonly input: temporal.api.common.v1.IPayloads | null | undefined;
  readonly header: temporal.api.common.v1.IHeader | null | undefined;
  readonly identity: string;
  readonly requestId: string;
  readonly externalWorkflowExecution?: temporal.api.common.v1.IWorkflowExecution;
}

/** Appends a signal (deduplicated by request id) and schedules a workflow task. */
export function signalWorkflow(w: HistoryWriter, sig: SignalInput): void {
  const s = w.wf.state;
  if (sig.requestId) {
    if (s.signalRequestIds.includes(sig.requestId)) return;
    s.signalRequestIds = [...s.signalRequestIds, sig.requestId].slice(-100);
  }
  w.external(
    event('workflowExecutionSignaledEventAttributes', {
      signalName: sig.signalName,
      ...(sig.input ? { input: sig.input } : {}),
      ...(sig.header ? { header: sig.header } : {}),
      identity: sig.identity,
      requestId: sig.requestId,
      ...(sig.externalWorkflowExecution ? { externalWorkflowExecution: sig.externalWorkflowExecution } : {}),
    }),
  );
  scheduleWorkflowTask(w);
}

/** WorkflowExecutionCancelRequested (once) and a workflow task. Idempotent. */
export function requestCancelWorkflow(
  w: HistoryWriter,
  cause: string,
  identity: string,
  external?: { initiatedEventId: number; execution: temporal.api.common.v1.IWorkflowExecution },
): void {
  const s = w.wf.state;
  if (s.status !== 'running' || s.cancelRequested) return;
  s.cancelRequested = true;
  w.external(
    event('workflowExecutionCancelRequestedEventAttributes', {
      cause,
      identity,
      ...(external ? { externalInitiatedEventId: long(external.initiatedEventId), externalWorkflowExecution: external.execution } : {}),
    }),
  );
  scheduleWorkflowTask(w);
}

export function terminateWorkflow(w: HistoryWriter, reason: string, details: Payloads | null | undefined, identity: string): void {
  const s = w.wf.state;
  if (s.status !== 'running') return;
  const t = s.wft;
  if (t && t.startedEventId > 0 && !t.transient) {
    w.append(
      event('workflowTaskFailedEventAttributes', {
        scheduledEventId: long(t.scheduledEventId),
        startedEventId: long(t.startedEventId),
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        identity,
      }),
    );
  }
  s.wft = null;
  w.flushBuffered();
  w.append(event('workflowExecutionTerminatedEventAttributes', { reason, ...(details ? { details } : {}), identity }));
  closeWorkflow(w, 'terminated');
}

/** WorkflowExecutionTimedOut; `nextRunId` names the chain's next run (cron) when there is one. */
export function closeOnRunTimeout(w: HistoryWriter, nextRunId?: string): void {
  const s = w.wf.state;
  if (s.status !== 'running') return;
  s.wft = null;
  w.flushBuffered();
  w.append(
    event('workflowExecutionTimedOutEventAttributes', {
      retryState: Enums.RetryState.RETRY_STATE_TIMEOUT,
      ...(nextRunId ? { newExecutionRunId: nextRunId } : {}),
    }),
  );
  closeWorkflow(w, 'timedOut', nextRunId !== undefined);
}

/**
 * Arms the run timeout, if any (at start). As in Temporal (ApplyWorkflowExecutionStartedEvent),
 * the run timeout counts from the end of the first workflow task's backoff (start delay, retry,
 * cron), while the execution timeout counts from the start.
 */
export function armRunTimeout(wf: WorkflowComponent, ctx: MutableContext): void {
  const s = wf.state;
  if (s.runTimeoutMs <= 0) return;
  let at = s.executionTime + s.runTimeoutMs;
  if (s.executionTimeoutMs > 0) at = Math.min(at, s.startTime + s.executionTimeoutMs);
  ctx.addTask(wf, RunTimeout, {}, { at: new Date(at) });
}

workflowHooks.terminate = (wf, ctx, reason) => {
  const w = new HistoryWriter(wf, ctx);
  terminateWorkflow(w, reason, null, '');
  w.commit();
};
