import { randomUUID } from 'node:crypto';
import { type google, temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { describe, expect, it } from 'vitest';
import { outcomeOf, useHandWorker } from './hand-worker.js';

/**
 * limit.mutableStateSize (issue 15) with a small configured error limit (32 KB), over raw gRPC
 * with a hand-made worker: activities whose inputs the run keeps take its state past the limit;
 * the next signal is refused, not stored, and the run is terminated with Temporal's reason. A
 * namespace with its own limit is not. PGlite and Postgres.
 */

const { CommandType, EventType, WorkflowExecutionStatus } = temporal.api.enums.v1;
type Command = temporal.api.command.v1.ICommand;
const namespace = 'default';
const REASON = 'Workflow mutable state size exceeds limit.';
const utf8 = new TextEncoder();
const dur = (s: number): google.protobuf.IDuration => ({ seconds: s as unknown as NonNullable<google.protobuf.IDuration['seconds']> });
const payload = (bytes: number): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('binary/plain') }, data: new Uint8Array(bytes) });

const settings = {
  workflow: {
    mutableStateSizeLimitWarnBytes: 8 * 1024,
    mutableStateSizeLimitErrorBytes: 32 * 1024,
    namespaceLimits: { roomy: { mutableStateSizeLimitErrorBytes: 10 * 1024 * 1024 } },
  },
};

/** An activity nobody polls: it stays pending, its 12 KB input kept in the run's state. */
const bigActivity = (): Command => ({
  commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
  scheduleActivityTaskCommandAttributes: {
    activityId: randomUUID(),
    activityType: { name: 'act' },
    taskQueue: { name: `nobody-${randomUUID()}` },
    startToCloseTimeout: dur(3600),
    input: { payloads: [payload(12 * 1024)] },
  },
});

describe.each(testDatabaseConfigs('chasm_wf_state_size'))('mutable state size limit on $name', (dialect) => {
  const { svc, history, status, startAndPoll, complete } = useHandWorker(dialect, { settings, namespaces: ['default', 'roomy'], idPrefix: 'state' });
  const signal = (workflowId: string, ns: string) =>
    outcomeOf(svc().signalWorkflowExecution({ namespace: ns, workflowExecution: { workflowId }, signalName: 'poke', requestId: randomUUID() }));

  /** Starts a run, and completes its first task with three pending 12 KB activities. */
  async function bigRun(ns: string): Promise<string> {
    const { workflowId, token } = await startAndPoll(ns);
    expect(await complete(token, [bigActivity(), bigActivity(), bigActivity()], ns)).toMatchObject({ code: 0 });
    return workflowId;
  }

  it('a run whose state passed the error limit is terminated by its next signal, which is not stored', async () => {
    const workflowId = await bigRun(namespace);
    const before = await history(workflowId, namespace);
    expect(before.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(3);
    expect(await signal(workflowId, namespace)).toEqual(expect.objectContaining({ code: 3, details: REASON }));
    const events = await history(workflowId, namespace);
    expect(events.map((e) => e.eventType)).not.toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(events.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    expect(events.at(-1)?.workflowExecutionTerminatedEventAttributes).toMatchObject({ reason: REASON, identity: 'history-service' });
    expect(await status(workflowId, namespace)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  it('a run under the limit takes signals', async () => {
    const workflowId = `state-${randomUUID()}`;
    await svc().startWorkflowExecution({ namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: `state-${randomUUID()}` }, requestId: randomUUID() });
    for (let i = 0; i < 3; i++) expect(await signal(workflowId, namespace)).toMatchObject({ code: 0 });
    expect(await status(workflowId, namespace)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
  });

  it("applies a namespace's own limit: the same run in roomy keeps running", async () => {
    const workflowId = await bigRun('roomy');
    expect(await signal(workflowId, 'roomy')).toMatchObject({ code: 0 });
    expect(await status(workflowId, 'roomy')).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    expect((await history(workflowId, 'roomy')).map((e) => e.eventType)).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  });
});
