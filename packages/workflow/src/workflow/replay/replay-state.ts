import { durationToMs, encodeMessage, optionalTimestampToMs, type Duration } from '@chasm/matching';
import { api, type HistoryEvent, type temporal } from '../../proto.js';
import type { ActivityState } from '../../activity/activity.js';
import { normaliseRetryPolicy, scheduledActivityState } from '../../activity/activity-state-machine.js';
import { initRunState } from '../start-run.js';
import { upsertMemo, upsertSearchAttributes } from '../search-attributes.js';
import type { WorkflowState } from '../workflow.js';

const Common = api.common.v1;

/** What a replay of history events leaves pending, beside the run's own state. */
export interface ReplayedRun {
  /** The run's state after the last event (status running, no tasks armed, `wft` as history says). */
  readonly state: WorkflowState;
  /** Activities scheduled and not yet closed, by scheduled event id (in order). */
  readonly activities: ActivityState[];
  /** Signal/cancel-external requests initiated and not yet answered: their Initiated events. */
  readonly externalRequests: HistoryEvent[];
  /** Initiated event ids of child workflows not yet closed. */
  readonly pendingChildren: number[];
  /** Scheduled event ids of Nexus operations not yet closed. */
  readonly pendingNexusOperations: number[];
  /** Ids of updates accepted and not yet completed. */
  readonly pendingUpdates: string[];
}

export interface ReplayIdentity {
  readonly namespaceId: string;
  readonly namespace: string;
  readonly runId: string;
  readonly requestId: string;
  /** The new run's start time; pending activities are scheduled again at this time. */
  readonly now: number;
}

const ms = (d: Duration | null | undefined): number => durationToMs(d, 'duration');
const time = (ev: HistoryEvent): number => optionalTimestampToMs(ev.eventTime, 'event_time') ?? 0;
const num = (v: unknown): number => Number(v ?? 0);

/**
 * Rebuilds a run's mutable state from its history events (Temporal's state rebuilder), for a run
 * whose history is copied from another one (reset). Only the facts that history carries are
 * rebuilt; the caller arms the tasks (dispatch, timers) for what is pending.
 */
export function replayRunState(events: readonly HistoryEvent[], id: ReplayIdentity): ReplayedRun {
  const first = events[0]?.workflowExecutionStartedEventAttributes;
  if (!first) throw new Error('history does not begin with WorkflowExecutionStarted');
  const state = initRunState({ namespaceId: id.namespaceId, started: first, requestId: id.requestId }, id.runId, id.now);
  state.namespace = id.namespace;
  // The first task's backoff is over in the copied history: its Scheduled event is already there.
  state.backoffUntil = null;
  state.signalRequestIds = [];
  const activities = new Map<number, ActivityState>();
  const external = new Map<number, HistoryEvent>();
  const children = new Set<number>();
  const nexus = new Set<number>();
  const updates = new Set<string>();
  for (const ev of events) {
    const eventId = num(ev.eventId);
    state.nextEventId = eventId + 1;
    applyEvent(state, ev, eventId, { activities, external, children, nexus, updates }, id.now);
  }
  return {
    state,
    activities: [...activities.values()],
    externalRequests: [...external.values()],
    pendingChildren: [...children],
    pendingNexusOperations: [...nexus],
    pendingUpdates: [...updates],
  };
}

interface Pending {
  readonly activities: Map<number, ActivityState>;
  readonly external: Map<number, HistoryEvent>;
  readonly children: Set<number>;
  readonly nexus: Set<number>;
  readonly updates: Set<string>;
}

function applyEvent(s: WorkflowState, ev: HistoryEvent, eventId: number, p: Pending, now: number): void {
  if (ev.workflowTaskScheduledEventAttributes) {
    const a = ev.workflowTaskScheduledEventAttributes;
    s.wft = {
      scheduledEventId: eventId,
      startedEventId: 0,
      attempt: a.attempt || 1,
      transient: false,
      queueName: a.taskQueue?.name || s.taskQueue,
      queueKind: 'normal',
      scheduledTime: time(ev),
      startedTime: 0,
      identity: '',
      requestId: '',
      stamp: ++s.wftStamp,
    };
  } else if (ev.workflowTaskStartedEventAttributes) {
    if (s.wft) {
      s.wft.startedEventId = eventId;
      s.wft.startedTime = time(ev);
      s.wft.identity = ev.workflowTaskStartedEventAttributes.identity ?? '';
      s.wft.requestId = ev.workflowTaskStartedEventAttributes.requestId ?? '';
    }
  } else if (ev.workflowTaskCompletedEventAttributes) {
    s.lastCompletedStartedEventId = num(ev.workflowTaskCompletedEventAttributes.startedEventId);
    s.wft = null;
    s.wftAttempt = 1;
  } else if (ev.workflowTaskFailedEventAttributes || ev.workflowTaskTimedOutEventAttributes) {
    s.wft = null;
  } else if (ev.activityTaskScheduledEventAttributes) {
    p.activities.set(eventId, activityOf(ev.activityTaskScheduledEventAttributes, eventId, now));
  } else if (ev.activityTaskCancelRequestedEventAttributes) {
    const a = p.activities.get(num(ev.activityTaskCancelRequestedEventAttributes.scheduledEventId));
    if (a) {
      a.cancelRequested = true;
      a.cancelRequestedEventId = eventId;
    }
  } else if (
    ev.activityTaskCompletedEventAttributes ||
    ev.activityTaskFailedEventAttributes ||
    ev.activityTaskTimedOutEventAttributes ||
    ev.activityTaskCanceledEventAttributes
  ) {
    const a =
      ev.activityTaskCompletedEventAttributes ??
      ev.activityTaskFailedEventAttributes ??
      ev.activityTaskTimedOutEventAttributes ??
      ev.activityTaskCanceledEventAttributes;
    p.activities.delete(num(a?.scheduledEventId));
  } else if (ev.timerStartedEventAttributes) {
    const a = ev.timerStartedEventAttributes;
    s.timers[a.timerId ?? ''] = { startedEventId: eventId, fireAt: time(ev) + ms(a.startToFireTimeout), stamp: ++s.timerStamp };
  } else if (ev.timerFiredEventAttributes || ev.timerCanceledEventAttributes) {
    delete s.timers[(ev.timerFiredEventAttributes ?? ev.timerCanceledEventAttributes)?.timerId ?? ''];
  } else if (ev.startChildWorkflowExecutionInitiatedEventAttributes) {
    p.children.add(eventId);
  } else if (ev.startChildWorkflowExecutionFailedEventAttributes) {
    p.children.delete(num(ev.startChildWorkflowExecutionFailedEventAttributes.initiatedEventId));
  } else if (
    ev.childWorkflowExecutionCompletedEventAttributes ||
    ev.childWorkflowExecutionFailedEventAttributes ||
    ev.childWorkflowExecutionCanceledEventAttributes ||
    ev.childWorkflowExecutionTimedOutEventAttributes ||
    ev.childWorkflowExecutionTerminatedEventAttributes
  ) {
    const a =
      ev.childWorkflowExecutionCompletedEventAttributes ??
      ev.childWorkflowExecutionFailedEventAttributes ??
      ev.childWorkflowExecutionCanceledEventAttributes ??
      ev.childWorkflowExecutionTimedOutEventAttributes ??
      ev.childWorkflowExecutionTerminatedEventAttributes;
    p.children.delete(num(a?.initiatedEventId));
  } else if (ev.signalExternalWorkflowExecutionInitiatedEventAttributes || ev.requestCancelExternalWorkflowExecutionInitiatedEventAttributes) {
    p.external.set(eventId, ev);
  } else if (ev.externalWorkflowExecutionSignaledEventAttributes || ev.signalExternalWorkflowExecutionFailedEventAttributes) {
    const a = ev.externalWorkflowExecutionSignaledEventAttributes ?? ev.signalExternalWorkflowExecutionFailedEventAttributes;
    p.external.delete(num(a?.initiatedEventId));
  } else if (ev.externalWorkflowExecutionCancelRequestedEventAttributes || ev.requestCancelExternalWorkflowExecutionFailedEventAttributes) {
    const a = ev.externalWorkflowExecutionCancelRequestedEventAttributes ?? ev.requestCancelExternalWorkflowExecutionFailedEventAttributes;
    p.external.delete(num(a?.initiatedEventId));
  } else if (ev.nexusOperationScheduledEventAttributes) {
    p.nexus.add(eventId);
  } else if (
    ev.nexusOperationCompletedEventAttributes ||
    ev.nexusOperationFailedEventAttributes ||
    ev.nexusOperationCanceledEventAttributes ||
    ev.nexusOperationTimedOutEventAttributes
  ) {
    const a =
      ev.nexusOperationCompletedEventAttributes ??
      ev.nexusOperationFailedEventAttributes ??
      ev.nexusOperationCanceledEventAttributes ??
      ev.nexusOperationTimedOutEventAttributes;
    p.nexus.delete(num(a?.scheduledEventId));
  } else if (ev.workflowExecutionUpdateAcceptedEventAttributes) {
    p.updates.add(ev.workflowExecutionUpdateAcceptedEventAttributes.protocolInstanceId ?? '');
  } else if (ev.workflowExecutionUpdateCompletedEventAttributes) {
    p.updates.delete(ev.workflowExecutionUpdateCompletedEventAttributes.meta?.updateId ?? '');
  } else if (ev.workflowExecutionSignaledEventAttributes) {
    const requestId = ev.workflowExecutionSignaledEventAttributes.requestId;
    if (requestId) s.signalRequestIds = [...s.signalRequestIds, requestId].slice(-100);
  } else if (ev.workflowExecutionCancelRequestedEventAttributes) {
    s.cancelRequested = true;
  } else if (ev.upsertWorkflowSearchAttributesEventAttributes) {
    upsertSearchAttributes(s, ev.upsertWorkflowSearchAttributesEventAttributes.searchAttributes);
  } else if (ev.workflowPropertiesModifiedEventAttributes) {
    s.memo = upsertMemo(s.memo, ev.workflowPropertiesModifiedEventAttributes.upsertedMemo);
  }
}

/** A pending activity as scheduled again by the new run: attempt 1, scheduled now (Temporal's failInflightActivity). */
function activityOf(a: temporal.api.history.v1.IActivityTaskScheduledEventAttributes, scheduledEventId: number, now: number): ActivityState {
  return scheduledActivityState(
    {
      scheduledEventId,
      activityId: a.activityId ?? '',
      activityType: a.activityType?.name ?? '',
      taskQueue: a.taskQueue?.name ?? '',
      header: encodeMessage(Common.Header, a.header as temporal.api.common.v1.Header | null | undefined),
      input: encodeMessage(Common.Payloads, a.input as temporal.api.common.v1.Payloads | null | undefined),
      priority: encodeMessage(Common.Priority, a.priority as temporal.api.common.v1.Priority | null | undefined),
      scheduleToCloseMs: ms(a.scheduleToCloseTimeout),
      scheduleToStartMs: ms(a.scheduleToStartTimeout),
      startToCloseMs: ms(a.startToCloseTimeout),
      heartbeatMs: ms(a.heartbeatTimeout),
      retry: normaliseRetryPolicy(a.retryPolicy),
    },
    now,
  );
}
