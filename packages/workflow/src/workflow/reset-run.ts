import { InvalidArgumentError, type MutableContext } from '@chasm/core';
import { randomUUID } from 'node:crypto';
import { encodeMessage, long } from '@chasm/matching';
import { event } from '../history/events.js';
import { api, Enums, type HistoryEvent, type temporal } from '../proto.js';
import { armAttempt, armScheduleToClose } from '../activity/activity-state-machine.js';
import { registerCallbacks } from '../callback/callback.tasks.js';
import { HistoryWriter, readHistory } from './history-writer.js';
import { armRunTimeout, closeWorkflow, scheduleWorkflowTask } from './mutable-state.js';
import { replayRunState, type ReplayedRun } from './replay/replay-state.js';
import { completionCallbacksOf } from './start-run.js';
import { CancelExternal, SignalExternal } from './child-tasks.js';
import { TimerFire } from './workflow.tasks.js';
import type { ResetPoint, WorkflowComponent, WorkflowState } from './workflow.js';

const Cause = Enums.WorkflowTaskFailedCause;
const Common = api.common.v1;
const FIELD = 'workflow_task_finish_event_id';
/** Temporal's consts.IdentityHistoryService and consts.IdentityResetter. */
const HISTORY_SERVICE = 'history-service';
export const RESETTER_IDENTITY = 'history-resetter';

/** What the base run says about the reset, read (and checked) before anything changes. */
export interface ResetBase {
  readonly namespaceId: string;
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly status: WorkflowState['status'];
  /** Events 1 .. finish-1: the new run's history up to its failed workflow task. */
  readonly copied: HistoryEvent[];
  readonly finishEventId: number;
  readonly autoResetPoints: ResetPoint[];
  readonly originalStartTime: number;
}

/**
 * Checks the reset point against the base run (Temporal's resetworkflow/api.go and the resetter's
 * failWorkflowTask): the event must lie within the history, and replaying the history before it
 * must leave a workflow task scheduled or started, i.e. the event is the task's Started (then
 * Started is written by the reset) or the event that finished it (Completed, Failed, TimedOut).
 */
export function readResetBase(wf: WorkflowComponent, finishEventId: number): ResetBase {
  const s = wf.state;
  if (finishEventId <= 1 || finishEventId >= s.nextEventId) {
    throw new InvalidArgumentError(FIELD, 'Workflow task finish ID must be > 1 && <= workflow last event ID.');
  }
  const copied = readHistory(wf, 1, finishEventId - 1);
  const replay = replayRunState(copied, { namespaceId: s.namespaceId, namespace: s.namespace, runId: s.runId, requestId: '', now: 0 });
  checkResettable(replay, finishEventId);
  return {
    namespaceId: s.namespaceId,
    namespace: s.namespace,
    workflowId: s.workflowId,
    runId: s.runId,
    status: s.status,
    copied,
    finishEventId,
    autoResetPoints: s.autoResetPoints ?? [],
    originalStartTime: s.reset?.originalStartTime ?? s.startTime,
  };
}

function checkResettable(replay: ReplayedRun, finishEventId: number): void {
  if (!replay.state.wft) {
    throw new InvalidArgumentError(
      FIELD,
      `Can only reset workflow to event ID in range [WorkflowTaskScheduled +1, WorkflowTaskStarted + 1]: ${finishEventId}`,
    );
  }
  if (replay.pendingChildren.length > 0) throw new InvalidArgumentError(FIELD, 'WorkflowResetter encountered pending child workflows.');
  // Not rebuilt here (their components live in other packages): refused rather than lost.
  if (replay.pendingNexusOperations.length > 0) {
    throw new InvalidArgumentError(FIELD, 'reset to a point with pending Nexus operations is not supported');
  }
  if (replay.pendingUpdates.length > 0) {
    throw new InvalidArgumentError(FIELD, 'reset to a point with accepted, uncompleted updates is not supported');
  }
}

/**
 * Terminates the run a reset replaces (Temporal's resetter terminateWorkflow: a started task fails
 * with FORCE_CLOSE_COMMAND first) and links it to the new run. The chain's completion callbacks
 * stay in STANDBY: the new run carries them. Returns the events from `fromEventId` on, which now
 * include any signal that was buffered behind a started task.
 */
export function terminateForReset(w: HistoryWriter, reason: string, newRunId: string, fromEventId: number): HistoryEvent[] {
  const s = w.wf.state;
  const t = s.wft;
  if (t && t.startedEventId > 0 && !t.transient) {
    w.append(
      event('workflowTaskFailedEventAttributes', {
        scheduledEventId: long(t.scheduledEventId),
        startedEventId: long(t.startedEventId),
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
        identity: RESETTER_IDENTITY,
      }),
    );
  }
  s.wft = null;
  w.flushBuffered();
  w.append(event('workflowExecutionTerminatedEventAttributes', { reason, identity: RESETTER_IDENTITY }));
  s.reset = { ...s.reset, resetRunId: newRunId };
  closeWorkflow(w, 'terminated', true);
  const tail = readHistory(w.wf, fromEventId);
  return [...tail, ...w.events.filter((e) => Number(e.eventId) >= fromEventId)];
}

export interface ResetRunSpec {
  readonly base: ResetBase;
  readonly newRunId: string;
  readonly requestId: string;
  readonly reason: string;
  /** Signals and updates of the base run after the reset point, to apply again (none when excluded). */
  readonly reapply: readonly HistoryEvent[];
}

/** The new run's initial state: the base history replayed (the engine's `init`). */
export function initResetRun(spec: ResetRunSpec, now: number): { state: WorkflowState; replay: ReplayedRun } {
  const b = spec.base;
  const replay = replayRunState(b.copied, { namespaceId: b.namespaceId, namespace: b.namespace, runId: spec.newRunId, requestId: spec.requestId, now });
  const s = replay.state;
  s.autoResetPoints = [...b.autoResetPoints];
  s.reset = { lastResetTime: now, originalStartTime: b.originalStartTime };
  return { state: s, replay };
}

/**
 * Writes the new run (Temporal's workflowResetter): the copied history, the pending task failed
 * with RESET_WORKFLOW (naming the base and new run), the reapplied signals, a new workflow task;
 * pending activities are scheduled again, timers and external requests re-armed.
 */
export function writeResetRun(wf: WorkflowComponent, ctx: MutableContext, spec: ResetRunSpec, replay: ReplayedRun): void {
  const s = wf.state;
  const w = new HistoryWriter(wf, ctx);
  const nextEventId = s.nextEventId;
  s.nextEventId = 1;
  for (const ev of spec.base.copied) w.append(ev);
  if (s.nextEventId !== nextEventId) throw new Error(`reset copied history has a gap: ${s.nextEventId} != ${nextEventId}`);
  const t = s.wft!;
  if (t.startedEventId === 0) {
    t.startedEventId = w.append(
      event('workflowTaskStartedEventAttributes', {
        scheduledEventId: long(t.scheduledEventId),
        identity: HISTORY_SERVICE,
        requestId: randomUUID(),
        historySizeBytes: long(s.historySizeBytes),
      }),
    );
  }
  w.append(
    event('workflowTaskFailedEventAttributes', {
      scheduledEventId: long(t.scheduledEventId),
      startedEventId: long(t.startedEventId),
      cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
      failure: { message: spec.reason, resetWorkflowFailureInfo: {} },
      identity: HISTORY_SERVICE,
      baseRunId: spec.base.runId,
      newRunId: spec.newRunId,
    }),
  );
  s.wft = null;
  s.wftAttempt = 1;
  s.sticky = null;
  for (const a of replay.activities) {
    const c = wf.fields.activities.create(String(a.scheduledEventId), a);
    armAttempt(c, ctx, w.now);
    armScheduleToClose(c, ctx);
  }
  for (const [timerId, timer] of Object.entries(s.timers)) {
    ctx.addTask(wf, TimerFire, { timerId, stamp: timer.stamp }, { at: new Date(timer.fireAt) });
  }
  for (const ev of replay.externalRequests) rearmExternal(wf, ctx, ev);
  for (const ev of spec.reapply) reapplyEvent(w, ev);
  registerCallbacks(wf, completionCallbacksOf(spec.base.copied[0]!.workflowExecutionStartedEventAttributes ?? {}), s.startTime);
  armRunTimeout(wf, ctx);
  scheduleWorkflowTask(w);
  w.commit();
}

/**
 * Temporal's reapplyEvents: a signal is appended again; an admitted or accepted update becomes
 * UpdateAdmitted (origin REAPPLY) carrying its request, which the worker then accepts and
 * completes (the update package takes the acceptance of an update it does not know from it).
 */
function reapplyEvent(w: HistoryWriter, ev: HistoryEvent): void {
  const request = ev.workflowExecutionUpdateAdmittedEventAttributes?.request ?? ev.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
  if (request) {
    w.append(
      event('workflowExecutionUpdateAdmittedEventAttributes', {
        request,
        origin: Enums.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY,
      }),
    );
    return;
  }
  const a = ev.workflowExecutionSignaledEventAttributes;
  if (!a) return;
  const s = w.wf.state;
  if (a.requestId) s.signalRequestIds = [...s.signalRequestIds, a.requestId].slice(-100);
  w.append(
    event('workflowExecutionSignaledEventAttributes', {
      signalName: a.signalName ?? '',
      ...(a.input ? { input: a.input } : {}),
      ...(a.header ? { header: a.header } : {}),
      identity: a.identity ?? '',
      requestId: a.requestId ?? '',
    }),
  );
}

/** An external signal/cancel initiated before the reset point and not answered: requested again. */
function rearmExternal(wf: WorkflowComponent, ctx: MutableContext, ev: HistoryEvent): void {
  const initiatedEventId = Number(ev.eventId);
  wf.state.pendingExternal.push(initiatedEventId);
  const sig = ev.signalExternalWorkflowExecutionInitiatedEventAttributes;
  if (sig) {
    ctx.addTask(wf, SignalExternal, {
      initiatedEventId,
      namespace: sig.namespace ?? '',
      workflowId: sig.workflowExecution?.workflowId ?? '',
      runId: sig.workflowExecution?.runId ?? '',
      signalName: sig.signalName ?? '',
      input: encodeMessage(Common.Payloads, sig.input as temporal.api.common.v1.Payloads | null | undefined),
      header: encodeMessage(Common.Header, sig.header as temporal.api.common.v1.Header | null | undefined),
      childWorkflowOnly: sig.childWorkflowOnly ?? false,
      control: sig.control ?? '',
    });
    return;
  }
  const c = ev.requestCancelExternalWorkflowExecutionInitiatedEventAttributes;
  if (c) {
    wf.state.pendingExternalCancels = [...(wf.state.pendingExternalCancels ?? []), initiatedEventId];
    ctx.addTask(wf, CancelExternal, {
      initiatedEventId,
      namespace: c.namespace ?? '',
      workflowId: c.workflowExecution?.workflowId ?? '',
      runId: c.workflowExecution?.runId ?? '',
      reason: c.reason ?? '',
      childWorkflowOnly: c.childWorkflowOnly ?? false,
      control: c.control ?? '',
    });
  }
}
