import { randomUUID } from 'node:crypto';
import { type google, temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { describe, expect, it } from 'vitest';
import { useHandWorker } from './hand-worker.js';

/**
 * Per-run limits (issue 15) with small configured values, driven over raw gRPC with a hand-made
 * worker (poll, respond): pending activities / children / external signals / external cancels,
 * command payloads over the blob limit (task failed with the cause, run terminated), history
 * count and size (warn, then the change that passes the error limit is discarded and the run is
 * terminated with Temporal's reason), and a per-namespace override.
 */

const { CommandType, EventType, WorkflowTaskFailedCause, WorkflowExecutionStatus } = temporal.api.enums.v1;
type Command = temporal.api.command.v1.ICommand;
const namespace = 'default';
const utf8 = new TextEncoder();
const dur = (s: number): google.protobuf.IDuration => ({ seconds: s as unknown as NonNullable<google.protobuf.IDuration['seconds']> });
const payload = (bytes: number): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('binary/plain') }, data: new Uint8Array(bytes) });

const settings = {
  workflow: {
    maxPendingActivities: 2,
    maxPendingChildExecutions: 1,
    maxPendingSignals: 1,
    maxPendingCancelRequests: 1,
    blobSizeLimitBytes: 64 * 1024,
    // Ids on commands (activity, timer, continue-as-new) are held to the configured length.
    maxIdLength: 100,
    // suggest_continue_as_new from the configured thresholds (Temporal: 4096 events, 4 MB).
    suggestContinueAsNewEvents: 5,
    historyCountLimitWarn: 12,
    historyCountLimitError: 20,
    historySizeLimitWarnBytes: 256 * 1024,
    historySizeLimitErrorBytes: 512 * 1024,
    // A namespace with its own count limit: the default namespace's 20 does not apply there.
    namespaceLimits: { 'roomy': { historyCountLimitError: 1000 } },
  },
};

const activity = (id: string): Command => ({
  commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  scheduleActivityTaskCommandAttributes: { activityId: id, activityType: { name: 'act' }, taskQueue: { name: `acts-${randomUUID()}` }, startToCloseTimeout: dur(60) },
});
const child = (): Command => ({
  commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
  startChildWorkflowExecutionCommandAttributes: { workflowId: `child-${randomUUID()}`, workflowType: { name: 'wf' }, taskQueue: { name: `kids-${randomUUID()}` } },
});
const signalExternal = (): Command => ({
  commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
  signalExternalWorkflowExecutionCommandAttributes: { execution: { workflowId: `nobody-${randomUUID()}` }, signalName: 's' },
});
const cancelExternal = (): Command => ({
  commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
  requestCancelExternalWorkflowExecutionCommandAttributes: { workflowId: `nobody-${randomUUID()}` },
});
const timer = (): Command => ({
  commandType: CommandType.COMMAND_TYPE_START_TIMER,
  startTimerCommandAttributes: { timerId: randomUUID(), startToFireTimeout: dur(3600) },
});

describe.each(testDatabaseConfigs('chasm_wf_limits'))('per-run limits on $name', (dialect) => {
  const { svc, history, status, startAndPoll, complete } = useHandWorker(dialect, { settings, namespaces: ['default', 'roomy'], idPrefix: 'limits' });

  const pendingCases: [string, Command[], Command, number, string][] = [
    ['activities', [activity('a1'), activity('a2')], activity('a3'), WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED, 'pending activities, 2, has reached the per-workflow limit of 2'],
    ['child workflows', [child()], child(), WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED, 'pending child workflow executions, 1, has reached the per-workflow limit of 1'],
    ['external signals', [signalExternal()], signalExternal(), WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED, 'pending signals to external workflows, 1, has reached'],
    ['external cancels', [cancelExternal()], cancelExternal(), WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED, 'pending requests to cancel external workflows, 1, has reached'],
  ];

  it.each(pendingCases)('refuses one more pending %s than the limit: the task fails with the cause and nothing of it is stored', async (_what, fill, extra, cause, message) => {
    const { workflowId, token } = await startAndPoll();
    // All in one completion: the first ones fill the run up to its limit, the last one is refused,
    // and the whole completion is rolled back.
    const err = await complete(token, [...fill, extra]);
    expect(err.code).toBe(3);
    expect(err.details).toContain(message);
    const events = await history(workflowId);
    expect(events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    ]);
    expect(events[3]?.workflowTaskFailedEventAttributes?.cause).toBe(cause);
    expect(await status(workflowId)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
  });

  const longId = 'i'.repeat(101);
  const idCases: [string, Command, number, string][] = [
    ['an activity id', { ...activity('a'), scheduleActivityTaskCommandAttributes: { ...activity('a').scheduleActivityTaskCommandAttributes, activityId: longId } }, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ActivityId exceeds length limit.'],
    ['a timer id', { ...timer(), startTimerCommandAttributes: { timerId: longId, startToFireTimeout: dur(60) } }, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, 'TimerId on StartTimerCommand exceeds length limit.'],
  ];
  it.each(idCases)('holds %s on a command to the configured maxIdLength (100): the task fails with the cause', async (_what, command, cause, message) => {
    const { workflowId, token } = await startAndPoll();
    const err = await complete(token, [command]);
    expect(err.code).toBe(3);
    expect(err.details).toContain(message);
    const events = await history(workflowId);
    expect(events.at(-1)?.workflowTaskFailedEventAttributes?.cause).toBe(cause);
    // 100 characters are within the limit.
    const ok = await startAndPoll();
    expect(await complete(ok.token, [{ ...timer(), startTimerCommandAttributes: { timerId: 'i'.repeat(100), startToFireTimeout: dur(60) } }])).toMatchObject({ code: 0 });
  });

  it('suggests continue-as-new once the history reaches the configured event count', async () => {
    const { workflowId, queue, token, task: first } = await startAndPoll();
    const started = (events: temporal.api.history.v1.IHistoryEvent[]) =>
      events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).at(-1)?.workflowTaskStartedEventAttributes;
    // The first task started at event 3: under 5 (as the worker was shown it; stored with its completion, ADR 0064).
    expect(started(first.history?.events ?? [])?.suggestContinueAsNew).toBe(false);
    expect(await complete(token, [timer()])).toMatchObject({ code: 0 });
    await svc().signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 'poke', requestId: randomUUID() });
    const task = await svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'hand' });
    expect(started(task.history?.events ?? [])?.suggestContinueAsNew).toBe(true);
  });

  it('accepts commands up to the pending limit', async () => {
    const { workflowId, token } = await startAndPoll();
    expect(await complete(token, [activity('a1'), activity('a2'), child(), signalExternal(), cancelExternal()])).toMatchObject({ code: 0 });
    const types = (await history(workflowId)).map((e) => e.eventType);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(2);
    expect(types).toContain(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
  });

  const oversized: [string, Command, number, string][] = [
    [
      'an activity input',
      { ...activity('big'), scheduleActivityTaskCommandAttributes: { ...activity('big').scheduleActivityTaskCommandAttributes, input: { payloads: [payload(100 * 1024)] } } },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
      'ScheduleActivityTaskCommandAttributes.Input exceeds size limit.',
    ],
    [
      'a completion result',
      { commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: { result: { payloads: [payload(100 * 1024)] } } },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
      'CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.',
    ],
    [
      'an external signal input',
      {
        commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: { execution: { workflowId: 'x' }, signalName: 's', input: { payloads: [payload(100 * 1024)] } },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_INPUT_SIZE,
      'SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.',
    ],
    [
      'marker details that are over the limit only together (two of 40 KB)',
      {
        commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
        recordMarkerCommandAttributes: { markerName: 'm', details: { a: { payloads: [payload(40 * 1024)] }, b: { payloads: [payload(40 * 1024)] } } },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
      'RecordMarkerCommandAttributes.Details exceeds size limit.',
    ],
  ];

  it.each(oversized)('fails the task and terminates the run when a command carries %s over the blob limit', async (_what, command, cause, reason) => {
    const { workflowId, token } = await startAndPoll();
    const err = await complete(token, [command]);
    expect(err.code).toBe(3);
    expect(err.details).toContain(reason);
    const events = await history(workflowId);
    expect(events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    ]);
    expect(events[3]?.workflowTaskFailedEventAttributes?.cause).toBe(cause);
    expect(events[4]?.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason, identity: 'history-service' });
    expect(await status(workflowId)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  it('terminates a run whose history count passes the error limit: the signal that would pass it is refused and not stored', async () => {
    const { workflowId, token } = await startAndPoll();
    // 3 events, then WorkflowTaskCompleted and a timer: 5. Signals append one event each (no
    // task is started), so the 16th signal would make 21 > 20.
    expect(await complete(token, [timer()])).toMatchObject({ code: 0 });
    let refused: { code: number; details: string } | undefined;
    let sent = 0;
    for (let i = 0; i < 30 && !refused; i++) {
      refused = await svc()
        .signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: `s${i}`, requestId: randomUUID() })
        .then(
          () => undefined,
          (e: unknown) => e as { code: number; details: string },
        );
      if (!refused) sent++;
    }
    expect(refused).toMatchObject({ code: 3, details: 'Workflow history count exceeds limit.' });
    const events = await history(workflowId);
    const signaled = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(signaled).toHaveLength(sent);
    const last = events.at(-1)!;
    expect(last.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    expect(last.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason: 'Workflow history count exceeds limit.', identity: 'history-service' });
    // The terminated event is the only one past the limit.
    expect(Number(last.eventId)).toBeLessThanOrEqual(21);
    expect(await status(workflowId)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  it('terminates a run whose history size passes the error limit on a workflow task completion, discarding the completion (in a namespace with a higher count limit)', async () => {
    // In roomy, whose count limit is 1000: only the size limit (512 KB) applies.
    const { workflowId, queue, token } = await startAndPoll('roomy');
    // Markers of 60 KB each (under the 64 KB blob limit): the ninth passes 512 KB.
    const marker = (): Command => ({
      commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
      recordMarkerCommandAttributes: { markerName: 'm', details: { d: { payloads: [payload(60 * 1024)] } } },
    });
    let taskToken = token;
    let last: { code: number; details: string } = { code: 0, details: '' };
    for (let i = 0; i < 20 && last.code === 0; i++) {
      last = await complete(taskToken, [marker(), timer()], 'roomy');
      if (last.code !== 0) break;
      await svc().signalWorkflowExecution({ namespace: 'roomy', workflowExecution: { workflowId }, signalName: 'next', requestId: randomUUID() });
      taskToken = (await svc().pollWorkflowTaskQueue({ namespace: 'roomy', taskQueue: { name: queue, kind: 1 }, identity: 'hand' })).taskToken!;
    }
    expect(last).toMatchObject({ code: 3, details: 'Workflow history size exceeds limit.' });
    const events = await history(workflowId, 'roomy');
    const types = events.map((e) => e.eventType);
    // The refused completion left no WorkflowTaskCompleted: its task was failed by the termination.
    expect(types.slice(-2)).toEqual([EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED]);
    expect(events.at(-2)?.workflowTaskFailedEventAttributes?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND);
    expect(events.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason).toBe('Workflow history size exceeds limit.');
    expect(await status(workflowId, 'roomy')).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  it("applies a namespace's own limits: 25 signals pass the default namespace's count limit, not roomy's", async () => {
    const { workflowId, token } = await startAndPoll('roomy');
    expect(await complete(token, [timer()], 'roomy')).toMatchObject({ code: 0 });
    for (let i = 0; i < 25; i++) {
      await svc().signalWorkflowExecution({ namespace: 'roomy', workflowExecution: { workflowId }, signalName: `s${i}`, requestId: randomUUID() });
    }
    expect(await status(workflowId, 'roomy')).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    // 3 + WorkflowTaskCompleted + TimerStarted + the WorkflowTaskScheduled the first signal asked for + 25 signals.
    expect((await history(workflowId, 'roomy')).length).toBe(31);
  });
});
