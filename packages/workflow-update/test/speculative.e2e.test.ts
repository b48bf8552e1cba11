import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { metricsDelta, settledMetrics } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, e2eDialects, quietRuntime, waitUntil } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { workflowUpdatePlugin } from '../src/index.js';

/**
 * Speculative workflow tasks (ADR 0034) seen from the outside: an update on an idle workflow is
 * delivered on a task that is not written until the worker answers; a rejection writes nothing;
 * a signal arriving while the task is out turns it into a normal, written task. Every history is
 * replayed by the SDK (Worker.runReplayHistory), which fails on a shape it would not produce.
 */
const { CommandType, EventType, UpdateWorkflowExecutionLifecycleStage: Stage } = temporal.api.enums.v1;
const U = temporal.api.update.v1;
const PLUGINS = [matchingPlugin, workflowPlugin, workflowUpdatePlugin];
const namespace = 'default';
const utf8 = new TextEncoder();
const url = (name: string): string => `type.googleapis.com/temporal.api.update.v1.${name}`;
const json = (v: unknown): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(v)) });
const types = (events: temporal.api.history.v1.IHistoryEvent[]): string[] => events.map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

/** The SDK's replay of a fetched history: throws on anything the workflow code would not produce. */
async function replay(client: Client, workflowId: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
}

/** What core sends for an update it accepts and completes in one activation. */
function acceptAndComplete(msg: temporal.api.protocol.v1.IMessage, result: unknown) {
  const request = U.Request.decode(msg.body!.value!);
  const id = msg.protocolInstanceId!;
  const messages: temporal.api.protocol.v1.IMessage[] = [
    {
      id: `${msg.id}/accept`,
      protocolInstanceId: id,
      body: { type_url: url('Acceptance'), value: U.Acceptance.encode({ acceptedRequestMessageId: msg.id!, acceptedRequestSequencingEventId: msg.eventId!, acceptedRequest: request }).finish() },
    },
    {
      id: `${msg.id}/complete`,
      protocolInstanceId: id,
      body: { type_url: url('Response'), value: U.Response.encode({ meta: { updateId: id, identity: 'hand' }, outcome: { success: { payloads: [json(result)] } } }).finish() },
    },
  ];
  return { messages, commands: messages.map((m) => ({ commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId: m.id! } })) };
}

describe.each(e2eDialects())('speculative workflow tasks on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let raw: Connection;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: PLUGINS, database: db.config, metricsPort: 0 });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    raw = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await raw?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  async function withWorker<T>(taskQueue: string, fn: () => Promise<T>): Promise<T> {
    const connection = await NativeConnection.connect({ address: server.address });
    try {
      const worker = await Worker.create({ connection, namespace, taskQueue, workflowBundle: bundle });
      return await worker.runUntil(fn);
    } finally {
      await connection.close();
    }
  }

  const commits = async (): Promise<number> => (await settledMetrics(server.metricsPort!)).get('chasm_commits_total') ?? 0;

  /**
   * A `counter` run driven by hand: its first task answered with no commands, as core answers it
   * (the run waits, 4 events). Returns the raw poll on its queue and its history length.
   */
  async function waitingCounter(prefix: string) {
    const taskQueue = `${prefix}-${randomUUID()}`;
    const workflowId = `${prefix}-${randomUUID()}`;
    const svc = raw.workflowService;
    const poll = () => svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: 1 }, identity: 'hand' });
    await client.workflow.start(wf.counter, { taskQueue, workflowId });
    const t1 = await poll();
    await svc.respondWorkflowTaskCompleted({ namespace, taskToken: t1.taskToken, identity: 'hand', commands: [] });
    const length = async () => (await client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
    expect(await length()).toBe(4);
    return { taskQueue, workflowId, svc, poll, length };
  }

  it('a rejected update writes nothing: no event, no commit; an accepted one writes its task and both update events in one commit', async () => {
    const taskQueue = `spec-${randomUUID()}`;
    const workflowId = `spec-${randomUUID()}`;
    await withWorker(taskQueue, async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId });
      expect(await h.executeUpdate(wf.addUpdate, { args: [2] })).toBe(2);
      const before = await h.fetchHistory();
      const commitsBefore = await commits();
      const err = await h.executeUpdate(wf.addUpdate, { args: [-1] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(await commits()).toBe(commitsBefore);
      expect((await h.fetchHistory()).events?.length).toBe(before.events?.length);
      // The worker rolled back to the last completed task: the next update works on top of it.
      expect(await h.executeUpdate(wf.addUpdate, { args: [3] })).toBe(5);
      expect(await commits()).toBe(commitsBefore + 1);
      const after = (await h.fetchHistory()).events ?? [];
      expect(types(after.slice(before.events!.length))).toEqual([
        'WORKFLOW_TASK_SCHEDULED',
        'WORKFLOW_TASK_STARTED',
        'WORKFLOW_TASK_COMPLETED',
        'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
        'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
      ]);
      expect(after.map((e) => Number(e.eventId))).toEqual(after.map((_, i) => i + 1));
      await h.signal(wf.finishSignal);
      expect(await h.result()).toBe(5);
    });
    await replay(client, workflowId);
  });

  it('a poll already waiting is handed the task by the admitting transaction itself: no offer through matching, nothing written (ADR 0053)', async () => {
    const { taskQueue, workflowId, svc, poll, length } = await waitingCounter('spec-handoff');
    // The poll is in line before the update arrives (a poller is listed once its poll is waiting).
    const polled = poll();
    await waitUntil(async () => {
      const d = await svc.describeTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: 1 }, taskQueueType: 1 });
      return (d.pollers ?? []).some((p) => p.identity === 'hand');
    });
    const before = await settledMetrics(server.metricsPort!);
    const pending = svc.updateWorkflowExecution({
      namespace,
      workflowExecution: { workflowId },
      waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      request: { meta: { updateId: 'u1', identity: 'caller' }, input: { name: 'add', args: { payloads: [json(4)] } } },
    });
    const t2 = await polled;
    expect(t2.messages?.map((m) => m.protocolInstanceId)).toEqual(['u1']);
    expect(Number(t2.startedEventId)).toBe(6);
    expect(await length()).toBe(4);
    const after = await settledMetrics(server.metricsPort!);
    // Started for the reserved poll in the admission's own (speculative) transaction; before ADR
    // 0053 it was offered to matching after it ("matched") and started by the poll's accept hook.
    expect(metricsDelta(before, after, 'workflow_speculative_task_total')).toEqual({ 'workflow_speculative_task_total{outcome="handed_off"}': 1 });
    expect(Object.entries(metricsDelta(before, after, 'poller_reservations')).map(([k, v]) => [k.includes('outcome="delivered"'), v])).toEqual([[true, 1]]);
    expect(metricsDelta(before, after, 'chasm_commits_total')).toEqual({});
    await svc.respondWorkflowTaskCompleted({ namespace, taskToken: t2.taskToken, identity: 'hand', ...acceptAndComplete(t2.messages![0]!, 4) });
    const r = await pending;
    expect(r.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    expect(types(((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).slice(4))).toEqual([
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
    await withWorker(taskQueue, async () => {
      const h = client.workflow.getHandle(workflowId);
      await h.signal(wf.finishSignal);
      expect(await h.result()).toBe(4);
    });
    await replay(client, workflowId);
  });

  it('a signal while the speculative task is out turns it into a normal written task; the signal follows the update', async () => {
    const { taskQueue, workflowId, svc, poll, length } = await waitingCounter('spec-sig');
    const pending = svc.updateWorkflowExecution({
      namespace,
      workflowExecution: { workflowId },
      waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      request: { meta: { updateId: 'u1', identity: 'caller' }, input: { name: 'add', args: { payloads: [json(7)] } } },
    });
    const t2 = await poll();
    expect(t2.messages?.map((m) => m.protocolInstanceId)).toEqual(['u1']);
    // Speculative: its Scheduled/Started are in the poll response only.
    expect(Number(t2.startedEventId)).toBe(6);
    expect(await length()).toBe(4);
    await client.workflow.getHandle(workflowId).signal(wf.releaseSignal);
    // The signal's commit settled the task: Scheduled and Started written, the signal buffered.
    expect(types(((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).slice(4))).toEqual(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    await svc.respondWorkflowTaskCompleted({ namespace, taskToken: t2.taskToken, identity: 'hand', ...acceptAndComplete(t2.messages![0]!, 7) });
    const r = await pending;
    expect(r.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    expect(types(events.slice(4))).toEqual([
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    // A real worker takes over from here (full history, replaying the hand-made tasks) and ends it.
    await withWorker(taskQueue, async () => {
      const h = client.workflow.getHandle(workflowId);
      expect(await h.query(wf.totalQuery)).toBe(7);
      await h.signal(wf.finishSignal);
      expect(await h.result()).toBe(7);
    });
    await replay(client, workflowId);
  });
});
