import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eDialects } from './e2e-helpers.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { workflowUpdatePlugin } from '../src/index.js';

/** The update protocol driven by hand over gRPC, as sdk-core drives it. */
const { CommandType, EventType, UpdateWorkflowExecutionLifecycleStage: Stage, WorkflowTaskFailedCause } = temporal.api.enums.v1;
const U = temporal.api.update.v1;
const namespace = 'default';
const url = (name: string): string => `type.googleapis.com/temporal.api.update.v1.${name}`;
const utf8 = new TextEncoder();

let server: TestServer;
let connection: Connection;

const svc = () => connection.workflowService;

async function start(taskQueue: string): Promise<string> {
  const workflowId = `up-${randomUUID()}`;
  await svc().startWorkflowExecution({ namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: taskQueue }, requestId: randomUUID() });
  return workflowId;
}

const poll = (taskQueue: string) => svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: 1 }, identity: 'hand' });

function update(workflowId: string, updateId: string) {
  return svc().updateWorkflowExecution({
    namespace,
    workflowExecution: { workflowId },
    waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
    request: { meta: { updateId, identity: 'caller' }, input: { name: 'add', args: { payloads: [json(1)] } } },
  });
}

function json(v: unknown): temporal.api.common.v1.IPayload {
  return { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(v)) };
}

/** What core sends for an update it accepts and completes in one activation. */
function acceptAndComplete(msg: temporal.api.protocol.v1.IMessage, result: unknown) {
  const request = U.Request.decode(msg.body!.value!);
  const id = msg.protocolInstanceId!;
  const msgId = msg.id!;
  const messages: temporal.api.protocol.v1.IMessage[] = [
    {
      id: `${msg.id}/accept`,
      protocolInstanceId: id,
      body: {
        type_url: url('Acceptance'),
        value: U.Acceptance.encode({ acceptedRequestMessageId: msgId, acceptedRequestSequencingEventId: msg.eventId!, acceptedRequest: request }).finish(),
      },
    },
    {
      id: `${msg.id}/complete`,
      protocolInstanceId: id,
      body: { type_url: url('Response'), value: U.Response.encode({ meta: { updateId: id, identity: 'hand' }, outcome: { success: { payloads: [json(result)] } } }).finish() },
    },
  ];
  const commands: temporal.api.command.v1.ICommand[] = messages.map((m) => ({
    commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
    protocolMessageCommandAttributes: { messageId: m.id! },
  }));
  return { messages, commands };
}

const types = (events: temporal.api.history.v1.IHistoryEvent[]): string[] => events.map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));

async function history(workflowId: string) {
  return (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [];
}

describe.each(e2eDialects())('update protocol over raw gRPC on $name', (dialect) => {
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin, workflowUpdatePlugin], database: db.config });
    // No retry interceptor: status codes are asserted as they are.
    connection = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await drop?.();
  });

  it('delivers the request as a message sequenced before WorkflowTaskStarted; acceptance and response write the events', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const t1 = await poll(q);
    expect(t1.messages ?? []).toHaveLength(0);
    await svc().respondWorkflowTaskCompleted({ namespace, taskToken: t1.taskToken, identity: 'hand', commands: [] });
    const pending = update(workflowId, 'u1');
    const t2 = await poll(q);
    expect(t2.messages).toHaveLength(1);
    const msg = t2.messages![0]!;
    expect(msg.id).toBe('u1/request');
    expect(msg.protocolInstanceId).toBe('u1');
    expect(Number(msg.eventId)).toBe(Number(t2.startedEventId) - 1);
    expect(msg.body?.type_url).toBe(url('Request'));
    expect(U.Request.decode(msg.body!.value!).input?.name).toBe('add');
    await svc().respondWorkflowTaskCompleted({ namespace, taskToken: t2.taskToken, identity: 'hand', ...acceptAndComplete(msg, 42) });
    const r = await pending;
    expect(r.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    expect(JSON.parse(new TextDecoder().decode(r.outcome!.success!.payloads![0]!.data!))).toBe(42);
    expect(types(await history(workflowId)).slice(-5)).toEqual([
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
  });

  it('rejects an update the worker was sent but did not answer (UnprocessedUpdate), without an Accepted event', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const pending = update(workflowId, 'ignored');
    const t = await poll(q);
    expect(t.messages?.map((m) => m.protocolInstanceId)).toEqual(['ignored']);
    await svc().respondWorkflowTaskCompleted({ namespace, taskToken: t.taskToken, identity: 'hand', commands: [] });
    const r = await pending;
    expect(r.outcome?.failure?.applicationFailureInfo?.type).toBe('UnprocessedUpdate');
    expect(types(await history(workflowId))).not.toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
  });

  it('keeps UnhandledCommand: a close with a buffered signal fails, and the update is delivered again on the next task', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const pending = update(workflowId, 'again');
    const t1 = await poll(q);
    expect(t1.messages).toHaveLength(1);
    await svc().signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 'late', requestId: randomUUID() });
    const both = acceptAndComplete(t1.messages![0]!, 1);
    const closing: temporal.api.command.v1.ICommand[] = [...both.commands, { commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }];
    await expect(
      svc().respondWorkflowTaskCompleted({ namespace, taskToken: t1.taskToken, identity: 'hand', messages: both.messages, commands: closing }),
    ).rejects.toMatchObject({ code: 3, details: 'UnhandledCommand' });
    const t2 = await poll(q);
    expect(t2.messages?.map((m) => m.id)).toEqual(['again/request']);
    expect(types(t2.history?.events ?? [])).toContain('WORKFLOW_EXECUTION_SIGNALED');
    const again = acceptAndComplete(t2.messages![0]!, 2);
    await svc().respondWorkflowTaskCompleted({
      namespace,
      taskToken: t2.taskToken,
      identity: 'hand',
      messages: again.messages,
      commands: [...again.commands, { commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    expect((await pending).outcome?.success).toBeTruthy();
    // UpdateCompleted precedes the close event.
    expect(types(await history(workflowId)).slice(-3)).toEqual([
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });

  it('fails the task when a PROTOCOL_MESSAGE command names an absent message; a response without acceptance too', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const t1 = await poll(q);
    await expect(
      svc().respondWorkflowTaskCompleted({
        namespace,
        taskToken: t1.taskToken,
        identity: 'hand',
        commands: [{ commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId: 'nope' } }] as temporal.api.command.v1.ICommand[],
      }),
    ).rejects.toMatchObject({ code: 3 });
    const failed = (await history(workflowId)).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE);
    const pending = update(workflowId, 'unaccepted');
    const t2 = await poll(q);
    const onlyResponse = acceptAndComplete(t2.messages![0]!, 0);
    await expect(
      svc().respondWorkflowTaskCompleted({
        namespace,
        taskToken: t2.taskToken,
        identity: 'hand',
        messages: [onlyResponse.messages[1]!],
        commands: [onlyResponse.commands[1]!],
      }),
    ).rejects.toMatchObject({ code: 3 });
    // Still admitted: the next attempt delivers it again, and answering it completes the call.
    const t3 = await poll(q);
    expect(t3.messages?.map((m) => m.protocolInstanceId)).toEqual(['unaccepted']);
    await svc().respondWorkflowTaskCompleted({ namespace, taskToken: t3.taskToken, identity: 'hand', ...acceptAndComplete(t3.messages![0]!, 3) });
    expect((await pending).outcome?.success).toBeTruthy();
  });

  it('an unaccepted update is aborted with NOT_FOUND when the workflow is terminated', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const pending = update(workflowId, 'doomed').catch((e: { code?: number; details?: string }) => e);
    // Wait until admitted, then close the run under it.
    await expect
      .poll(async () =>
        (await svc().pollWorkflowExecutionUpdate({ namespace, updateRef: { workflowExecution: { workflowId }, updateId: 'doomed' } }).catch(() => undefined))
          ?.stage,
      )
      .toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    await svc().terminateWorkflowExecution({ namespace, workflowExecution: { workflowId }, reason: 'test' });
    expect(await pending).toMatchObject({ code: 5, details: 'workflow execution already completed: update aborted by closing workflow' });
  });

  it('an update dropped by continue-as-new is applied to the next run', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const t1 = await poll(q);
    const pending = update(workflowId, 'follows');
    await expect
      .poll(async () =>
        (await svc().pollWorkflowExecutionUpdate({ namespace, updateRef: { workflowExecution: { workflowId }, updateId: 'follows' } }).catch(() => undefined))
          ?.stage,
      )
      .toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    await svc().respondWorkflowTaskCompleted({
      namespace,
      taskToken: t1.taskToken,
      identity: 'hand',
      commands: [
        {
          commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
          continueAsNewWorkflowExecutionCommandAttributes: { workflowType: { name: 'wf' }, taskQueue: { name: q } },
        },
      ],
    });
    const t2 = await poll(q);
    expect(t2.workflowExecution?.runId).not.toBe(t1.workflowExecution?.runId);
    expect(t2.messages?.map((m) => m.protocolInstanceId)).toEqual(['follows']);
    await svc().respondWorkflowTaskCompleted({ namespace, taskToken: t2.taskToken, identity: 'hand', ...acceptAndComplete(t2.messages![0]!, 5) });
    const r = await pending;
    expect(r.outcome?.success).toBeTruthy();
    expect(r.updateRef?.workflowExecution?.runId).toBe(t2.workflowExecution?.runId);
  });

  it('ExecuteMultiOperation: bad input names the field; per-operation errors carry MultiOperationExecutionFailure', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = `mo-${randomUUID()}`;
    const startOp = { namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: q }, requestId: randomUUID() };
    const onlyStart = await svc()
      .executeMultiOperation({ namespace, operations: [{ startWorkflow: startOp }] })
      .catch((e: { code?: number; details?: string }) => e);
    expect(onlyStart).toMatchObject({ code: 3 });
    expect((onlyStart as { details: string }).details).toContain('operations');
    const err = (await svc()
      .executeMultiOperation({
        namespace,
        operations: [
          { startWorkflow: startOp },
          { updateWorkflow: { namespace, workflowExecution: { workflowId, runId: randomUUID() }, request: { meta: { updateId: 'm' }, input: { name: 'add' } } } },
        ],
      })
      .catch((e: unknown) => e)) as { code: number; details: string; metadata: { get(k: string): unknown[] } };
    expect(err.code).toBe(3);
    expect(err.details).toContain('operations[1].update_workflow.workflow_execution.run_id');
    const status = google.rpc.Status.decode(err.metadata.get('grpc-status-details-bin')[0] as Uint8Array);
    expect(status.details[0]?.type_url).toBe('type.googleapis.com/temporal.api.errordetails.v1.MultiOperationExecutionFailure');
    const failure = temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(status.details[0]!.value!);
    expect(failure.statuses.map((st) => st.code)).toEqual([10, 3]);
    expect(failure.statuses[0]?.details?.[0]?.type_url).toBe('type.googleapis.com/temporal.api.failure.v1.MultiOperationExecutionAborted');
    // Nothing was started.
    await expect(svc().describeWorkflowExecution({ namespace, execution: { workflowId } })).rejects.toMatchObject({ code: 5 });
  });

  it("ExecuteMultiOperation: the start is checked as StartWorkflowExecution is (the workflow package's checks), and nothing is stored", async () => {
    const workflowId = `mo-${randomUUID()}`;
    const update = { namespace, workflowExecution: { workflowId }, request: { meta: { updateId: 'm' }, input: { name: 'add' } } };
    const bad = [
      { taskQueue: { name: 'a\u0000b' } },
      { retryPolicy: { backoffCoefficient: 0.5 } },
      { workflowRunTimeout: { seconds: -1 as unknown as NonNullable<google.protobuf.IDuration['seconds']> } },
    ];
    for (const over of bad) {
      const startOp = { namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: 'q' }, requestId: randomUUID(), ...over };
      const err = (await svc()
        .executeMultiOperation({ namespace, operations: [{ startWorkflow: startOp }, { updateWorkflow: update }] })
        .catch((e: unknown) => e)) as { code: number; metadata: { get(k: string): unknown[] } };
      expect(err.code).toBe(3);
      const status = google.rpc.Status.decode(err.metadata.get('grpc-status-details-bin')[0] as Uint8Array);
      const failure = temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(status.details[0]!.value!);
      expect(failure.statuses.map((st) => st.code)).toEqual([3, 10]);
    }
    await expect(svc().describeWorkflowExecution({ namespace, execution: { workflowId } })).rejects.toMatchObject({ code: 5 });
  });

  it('answers the stage reached at the soft timeout (before the call deadline) instead of an error', async () => {
    const q = `q-${randomUUID()}`;
    const workflowId = await start(q);
    const soon = () => new Date(Date.now() + 4_000);
    // Nobody polls: admitted only.
    const r1 = await connection.withDeadline(soon(), () => update(workflowId, 'soft'));
    expect(r1.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    expect(r1.outcome).toBeFalsy();
    // The worker accepts but does not complete it: ACCEPTED, still no outcome.
    const t = await poll(q);
    const accept = acceptAndComplete(t.messages![0]!, 0);
    await svc().respondWorkflowTaskCompleted({ namespace, taskToken: t.taskToken, identity: 'hand', messages: [accept.messages[0]!], commands: [accept.commands[0]!] });
    const r2 = await connection.withDeadline(soon(), () => update(workflowId, 'soft'));
    expect(r2.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
    expect(r2.outcome).toBeFalsy();
    const polled = await connection.withDeadline(soon(), () =>
      svc().pollWorkflowExecutionUpdate({
        namespace,
        updateRef: { workflowExecution: { workflowId }, updateId: 'soft' },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      }),
    );
    expect(polled.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
  });
});
