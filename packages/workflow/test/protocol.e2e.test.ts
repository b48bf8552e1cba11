import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '../src/index.js';

/** The workflow-task protocol driven by hand over gRPC, as sdk-core would drive it. */
const { CommandType, EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
const namespace = 'default';
let server: TestServer;
let connection: Connection;

beforeAll(async () => {
  server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], namespaces: ['default', 'other'] });
  connection = await Connection.connect({ address: server.address });
});
afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

const svc = () => connection.workflowService;

async function start(taskQueue: string): Promise<{ workflowId: string; runId: string }> {
  const workflowId = `p-${randomUUID()}`;
  const r = await svc().startWorkflowExecution({
    namespace,
    workflowId,
    workflowType: { name: 'wf' },
    taskQueue: { name: taskQueue },
    requestId: randomUUID(),
  });
  return { workflowId, runId: r.runId };
}

async function poll(taskQueue: string, sticky?: string) {
  return svc().pollWorkflowTaskQueue({
    namespace,
    taskQueue: sticky ? { name: sticky, kind: 2, normalName: taskQueue } : { name: taskQueue, kind: 1 },
    identity: 'test-worker',
  });
}

const types = (events: temporal.api.history.v1.IHistoryEvent[] | null | undefined): string[] =>
  (events ?? []).map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));

async function history(workflowId: string) {
  return (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [];
}

describe('workflow task protocol', () => {
  it('returns a full poll response and persists sdk_metadata verbatim', async () => {
    const q = `q-${randomUUID()}`;
    const { workflowId, runId } = await start(q);
    const task = await poll(q);
    expect(task.workflowExecution).toMatchObject({ workflowId, runId });
    expect(task.workflowType?.name).toBe('wf');
    expect(task.workflowExecutionTaskQueue?.name).toBe(q);
    expect(Number(task.startedEventId)).toBe(3);
    expect(Number(task.previousStartedEventId)).toBe(0);
    expect(task.attempt).toBe(1);
    expect(types(task.history?.events)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    const started = task.history!.events![0]!.workflowExecutionStartedEventAttributes!;
    expect(started.originalExecutionRunId).toBe(runId);
    expect(started.firstExecutionRunId).toBe(runId);
    expect(Number(started.workflowTaskTimeout?.seconds)).toBe(10);

    const sdkMetadata = { coreUsedFlags: [1, 2], langUsedFlags: [3], sdkName: 'test-sdk', sdkVersion: '9.9.9' };
    await svc().respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      identity: 'test-worker',
      sdkMetadata,
      commands: [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    const events = await history(workflowId);
    expect(types(events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    expect(events[3]!.workflowTaskCompletedEventAttributes?.sdkMetadata).toMatchObject(sdkMetadata);
    expect(Number(events[4]!.workflowExecutionCompletedEventAttributes?.workflowTaskCompletedEventId)).toBe(4);
    // The token is spent: a second completion is NOT_FOUND.
    await expect(svc().respondWorkflowTaskCompleted({ taskToken: task.taskToken, commands: [] })).rejects.toMatchObject({ code: 5 });
  });

  it('answers UnhandledCommand when a signal arrived during the task, then delivers it', async () => {
    const q = `q-${randomUUID()}`;
    const { workflowId } = await start(q);
    const task = await poll(q);
    await svc().signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 'sig', requestId: randomUUID() });
    // Buffered while the task is started.
    expect(types(await history(workflowId))).toHaveLength(3);
    await expect(
      svc().respondWorkflowTaskCompleted({
        taskToken: task.taskToken,
        commands: [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
      }),
    ).rejects.toMatchObject({ code: 3, details: 'UnhandledCommand' });
    const events = await history(workflowId);
    expect(types(events).slice(3)).toEqual(['WORKFLOW_TASK_FAILED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED']);
    expect(events[3]!.workflowTaskFailedEventAttributes?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND);
    const next = await poll(q);
    expect(next.attempt).toBe(1);
    expect(Number(next.previousStartedEventId)).toBe(0);
  });

  it('rejects a close command that is not the last one', async () => {
    const q = `q-${randomUUID()}`;
    await start(q);
    const task = await poll(q);
    await expect(
      svc().respondWorkflowTaskCompleted({
        taskToken: task.taskToken,
        commands: [
          { commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} },
          { commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: '1', startToFireTimeout: { nanos: 500_000_000 } } },
        ],
      }),
    ).rejects.toMatchObject({ code: 3 });
  });

  it('retries a failed task as transient attempts and persists them only on completion', async () => {
    const q = `q-${randomUUID()}`;
    const { workflowId } = await start(q);
    const t1 = await poll(q);
    await svc().respondWorkflowTaskFailed({ taskToken: t1.taskToken, cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, identity: 'w', failure: { message: 'bad' } });
    const t2 = await poll(q);
    expect(t2.attempt).toBe(2);
    expect(types(t2.history?.events)).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    expect(t2.history!.events![4]!.workflowTaskScheduledEventAttributes?.attempt).toBe(2);
    expect(Number(t2.startedEventId)).toBe(6);
    // Failing the transient attempt writes nothing.
    await svc().respondWorkflowTaskFailed({ taskToken: t2.taskToken, cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, identity: 'w' });
    expect(await history(workflowId)).toHaveLength(4);
    const t3 = await poll(q);
    expect(t3.attempt).toBe(3);
    expect(Number(t3.startedEventId)).toBe(6);
    await svc().respondWorkflowTaskCompleted({
      taskToken: t3.taskToken,
      commands: [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    const events = await history(workflowId);
    expect(types(events).slice(4)).toEqual(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED']);
    expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[4]!.workflowTaskScheduledEventAttributes?.attempt).toBe(3);
  });

  it('dispatches to the sticky queue with partial history', async () => {
    const q = `q-${randomUUID()}`;
    const sticky = `sticky-${randomUUID()}`;
    const { workflowId } = await start(q);
    // An empty sticky poll first, so matching knows the sticky worker is alive.
    const emptyPoll = svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: sticky, kind: 2, normalName: q }, identity: 'w' });
    const t1 = await poll(q);
    await svc().respondWorkflowTaskCompleted({
      taskToken: t1.taskToken,
      stickyAttributes: { workerTaskQueue: { name: sticky, kind: 2, normalName: q }, scheduleToStartTimeout: { seconds: 10 as never } },
      commands: [{ commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: '1', startToFireTimeout: { nanos: 100_000_000 } } }],
    });
    const t2 = await emptyPoll.then((r) => (r.taskToken?.length ? r : poll(q, sticky)));
    expect(Number(t2.previousStartedEventId)).toBe(3);
    expect(types(t2.history?.events)).toEqual(['WORKFLOW_TASK_COMPLETED', 'TIMER_STARTED', 'TIMER_FIRED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    expect(Number(t2.startedEventId)).toBe(8);
    // Stored up to the task's Scheduled event: a sticky task that waited in the backlog is started
    // in memory and its Started event is written with the completion (ADR 0063).
    expect(types(await history(workflowId))).toHaveLength(7);
    await svc().respondWorkflowTaskCompleted({
      taskToken: t2.taskToken,
      commands: [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    const events = await history(workflowId);
    expect(types(events).slice(6)).toEqual(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED']);
    expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events[7]!.workflowTaskStartedEventAttributes).toEqual(t2.history!.events!.at(-1)!.workflowTaskStartedEventAttributes);
  });
});

describe('task tokens are bound to their namespace', () => {
  it('refuses a workflow task token presented with another namespace, and changes nothing', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = `x-${randomUUID()}`;
    await svc().startWorkflowExecution({ namespace: 'other', workflowId, workflowType: { name: 'wf' }, taskQueue: { name: q }, requestId: randomUUID() });
    const task = await svc().pollWorkflowTaskQueue({ namespace: 'other', taskQueue: { name: q, kind: 1 }, identity: 'test-worker' });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    const complete = {
      taskToken: task.taskToken,
      identity: 'test-worker',
      commands: [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    };
    for (const call of [
      () => svc().respondWorkflowTaskCompleted({ namespace, ...complete }),
      () => svc().respondWorkflowTaskFailed({ namespace, taskToken: task.taskToken, identity: 'test-worker', cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 3, details: expect.stringMatching(/token from a different namespace/) });
    }
    const d = await svc().describeWorkflowExecution({ namespace: 'other', execution: { workflowId } });
    expect(d.workflowExecutionInfo?.status).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    // In its own namespace the same token works.
    await svc().respondWorkflowTaskCompleted({ namespace: 'other', ...complete });
    const closed = await svc().describeWorkflowExecution({ namespace: 'other', execution: { workflowId } });
    expect(closed.workflowExecutionInfo?.status).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
  });
});
