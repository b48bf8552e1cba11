import { describe, expect, it } from 'vitest';
import { long, msToDuration, msToTimestamp } from '@chasm/matching';
import { event, type AttrField } from '../../history/events.js';
import type { HistoryEvent, temporal } from '../../proto.js';
import { replayRunState } from './replay-state.js';

type Attrs = temporal.api.history.v1.IHistoryEvent;
const T0 = Date.UTC(2026, 0, 1);

/** A history from (field, attrs) pairs: ids from 1, one second apart. */
function history(...items: [AttrField, object][]): HistoryEvent[] {
  return items.map(([field, attrs], i) => ({
    ...event(field, attrs as NonNullable<Attrs[typeof field]>),
    eventId: long(i + 1),
    eventTime: msToTimestamp(T0 + i * 1000),
  }));
}

const started: [AttrField, object] = [
  'workflowExecutionStartedEventAttributes',
  {
    workflowId: 'wf',
    workflowType: { name: 'T' },
    taskQueue: { name: 'q' },
    workflowTaskTimeout: msToDuration(10_000),
    firstExecutionRunId: 'first',
    firstWorkflowTaskBackoff: msToDuration(60_000),
  },
];
const wft = (n: number): [AttrField, object][] => [
  ['workflowTaskScheduledEventAttributes', { taskQueue: { name: 'q' }, attempt: 1 }],
  ['workflowTaskStartedEventAttributes', { scheduledEventId: long(n), identity: 'w', requestId: `r${n}` }],
];
const id = { namespaceId: 'ns-id', namespace: 'default', runId: 'new-run', requestId: 'req', now: T0 + 100_000 };

describe('replayRunState', () => {
  it('rebuilds the run identity from WorkflowExecutionStarted, without the first task backoff', () => {
    const r = replayRunState(history(started, ...wft(2)), id);
    expect(r.state).toMatchObject({
      status: 'running',
      workflowId: 'wf',
      runId: 'new-run',
      namespace: 'default',
      namespaceId: 'ns-id',
      firstExecutionRunId: 'first',
      workflowType: 'T',
      taskQueue: 'q',
      startRequestId: 'req',
      nextEventId: 4,
      backoffUntil: null,
    });
    // The task the history leaves started is the one a reset fails.
    expect(r.state.wft).toMatchObject({ scheduledEventId: 2, startedEventId: 3, attempt: 1, identity: 'w' });
  });

  it('a completed task clears the pending one and records the last completed started id', () => {
    const r = replayRunState(history(started, ...wft(2), ['workflowTaskCompletedEventAttributes', { scheduledEventId: long(2), startedEventId: long(3) }]), id);
    expect(r.state.wft).toBeNull();
    expect(r.state.lastCompletedStartedEventId).toBe(3);
  });

  it('keeps activities and timers that are still pending, drops the closed ones', () => {
    const r = replayRunState(
      history(
        started,
        ...wft(2),
        ['workflowTaskCompletedEventAttributes', { scheduledEventId: long(2), startedEventId: long(3) }],
        [
          'activityTaskScheduledEventAttributes',
          { activityId: 'a1', activityType: { name: 'greet' }, taskQueue: { name: 'q' }, startToCloseTimeout: msToDuration(5000), scheduleToCloseTimeout: msToDuration(0) },
        ],
        ['activityTaskScheduledEventAttributes', { activityId: 'a2', activityType: { name: 'greet' }, taskQueue: { name: 'q2' }, startToCloseTimeout: msToDuration(5000) }],
        ['timerStartedEventAttributes', { timerId: 't1', startToFireTimeout: msToDuration(30_000) }],
        ['timerStartedEventAttributes', { timerId: 't2', startToFireTimeout: msToDuration(30_000) }],
        ['activityTaskCompletedEventAttributes', { scheduledEventId: long(5) }],
        ['timerFiredEventAttributes', { timerId: 't2', startedEventId: long(8) }],
        ...wft(11),
      ),
      id,
    );
    expect(r.activities.map((a) => [a.scheduledEventId, a.activityId, a.taskQueue, a.status, a.attempt, a.scheduledTime])).toEqual([
      [6, 'a2', 'q2', 'scheduled', 1, id.now],
    ]);
    expect(r.activities[0]!.startToCloseMs).toBe(5000);
    // t1 started at event 7 (6 s after T0) for 30 s.
    expect(Object.keys(r.state.timers)).toEqual(['t1']);
    expect(r.state.timers['t1']).toMatchObject({ startedEventId: 7, fireAt: T0 + 6000 + 30_000 });
    expect(r.state.wft).toMatchObject({ scheduledEventId: 11, startedEventId: 12 });
  });

  it('tracks children, external requests, Nexus operations and updates that are pending', () => {
    const r = replayRunState(
      history(
        started,
        ...wft(2),
        ['workflowTaskCompletedEventAttributes', { scheduledEventId: long(2), startedEventId: long(3) }],
        ['startChildWorkflowExecutionInitiatedEventAttributes', { workflowId: 'c1' }],
        ['startChildWorkflowExecutionInitiatedEventAttributes', { workflowId: 'c2' }],
        ['childWorkflowExecutionCompletedEventAttributes', { initiatedEventId: long(5) }],
        ['signalExternalWorkflowExecutionInitiatedEventAttributes', { signalName: 's', workflowExecution: { workflowId: 'x' } }],
        ['requestCancelExternalWorkflowExecutionInitiatedEventAttributes', { workflowExecution: { workflowId: 'y' } }],
        ['externalWorkflowExecutionSignaledEventAttributes', { initiatedEventId: long(8) }],
        ['nexusOperationScheduledEventAttributes', { endpoint: 'e' }],
        ['workflowExecutionUpdateAcceptedEventAttributes', { protocolInstanceId: 'u1' }],
        ['workflowExecutionUpdateAcceptedEventAttributes', { protocolInstanceId: 'u2' }],
        ['workflowExecutionUpdateCompletedEventAttributes', { meta: { updateId: 'u1' } }],
      ),
      id,
    );
    expect(r.pendingChildren).toEqual([6]);
    expect(r.externalRequests.map((e) => Number(e.eventId))).toEqual([9]);
    expect(r.pendingNexusOperations).toEqual([11]);
    expect(r.pendingUpdates).toEqual(['u2']);
  });

  it('replays signals (request ids), cancel requests, search attribute and memo upserts', () => {
    const kw = (v: string) => ({ metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') }, data: Buffer.from(JSON.stringify(v)) });
    const r = replayRunState(
      history(
        started,
        ['workflowExecutionSignaledEventAttributes', { signalName: 'go', requestId: 'sig-1' }],
        ...wft(3),
        ['workflowTaskCompletedEventAttributes', { scheduledEventId: long(3), startedEventId: long(4) }],
        ['upsertWorkflowSearchAttributesEventAttributes', { searchAttributes: { indexedFields: { CustomKeywordField: kw('v1') } } }],
        ['workflowPropertiesModifiedEventAttributes', { upsertedMemo: { fields: { note: kw('hello') } } }],
        ['workflowExecutionCancelRequestedEventAttributes', { cause: 'because' }],
      ),
      id,
    );
    expect(r.state.signalRequestIds).toEqual(['sig-1']);
    expect(r.state.cancelRequested).toBe(true);
    expect(r.state.searchAttributes['CustomKeywordField']).toBe('v1');
    expect(r.state.memo).not.toBeNull();
    expect(r.state.nextEventId).toBe(9);
  });

  it('refuses a history that does not begin with WorkflowExecutionStarted', () => {
    expect(() => replayRunState(history(...wft(1)), id)).toThrow(/WorkflowExecutionStarted/);
  });
});
