import { randomUUID } from 'node:crypto';
import { ActivityNotFoundError, Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { decodeTemporalTaskToken, encodeTemporalTaskToken, matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { workflowPlugin } from '../src/index.js';

const { CommandType, EventType } = temporal.api.enums.v1;
/** gRPC status codes (numbers, as the client's errors carry them). */
const status = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5 } as const;

/** The gRPC status a raw WorkflowService call ended with. */
async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return status.OK;
  } catch (e) {
    return (e as { code?: number }).code;
  }
}

/**
 * Task tokens in Temporal's own encoding (token.v1.Task) and bound to their namespace (issues 11
 * and 15): tokens tools build from ids answer NOT_FOUND for activities that do not exist, garbage
 * stays INVALID_ARGUMENT, a token used with another namespace changes nothing. And eager activity
 * dispatch never hands an activity to a worker that runs none.
 */
describe.each(testDatabaseConfigs('chasm_wf_tokens'))('task tokens through the SDK on $name', (dialect) => {
  let server: TestServer;
  let bundle: WorkflowBundleWithSourceMap;
  let client: Client;
  let native: NativeConnection;
  let drop: (() => Promise<void>) | undefined;
  let defaultId = '';
  const other = `other-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    [server, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config }), bundleTestWorkflows()]);
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    native = await NativeConnection.connect({ address: server.address });
    await client.workflowService.registerNamespace({ namespace: other });
    defaultId = (await client.workflowService.describeNamespace({ namespace: 'default' })).namespaceInfo?.id ?? '';
  }, 180_000);
  afterAll(async () => {
    await native?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  it('a Temporal-encoded token for an activity that does not exist is NOT_FOUND (ActivityNotFoundError); garbage is INVALID_ARGUMENT', async () => {
    expect(defaultId).toMatch(/^[0-9a-f-]{36}$/);
    const missing = encodeTemporalTaskToken({
      namespaceId: defaultId,
      workflowId: `no-such-${randomUUID()}`,
      runId: randomUUID(),
      scheduledEventId: 5,
      attempt: 1,
      activityId: '1',
      activityType: 'greet',
    });
    await expect(client.activity.heartbeat(missing, 'x')).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.complete(missing, 'x')).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.fail(missing, new Error('x'))).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.reportCancellation(missing)).rejects.toBeInstanceOf(ActivityNotFoundError);
    const ws = client.workflowService;
    expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: missing }))).toBe(status.NOT_FOUND);
    expect(await codeOf(ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: missing }))).toBe(status.NOT_FOUND);
    // By activity id alone (no scheduled event id), as a by-id request: NOT_FOUND too.
    const byActivityId = encodeTemporalTaskToken({ namespaceId: defaultId, workflowId: `no-such-${randomUUID()}`, activityId: 'a' });
    expect(await codeOf(ws.respondActivityTaskFailed({ namespace: 'default', taskToken: byActivityId }))).toBe(status.NOT_FOUND);

    for (const garbage of [Buffer.from('garbage'), Buffer.from([0xff, 0xff, 0xff]), Buffer.from('[1,2,3]'), encodeTemporalTaskToken({ namespaceId: defaultId })]) {
      expect(await codeOf(ws.respondActivityTaskCompleted({ namespace: 'default', taskToken: garbage }))).toBe(status.INVALID_ARGUMENT);
      expect(await codeOf(ws.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: garbage }))).toBe(status.INVALID_ARGUMENT);
    }
  });

  it('completion, failure, cancellation and heartbeat by id of an unknown execution or activity are NOT_FOUND', async () => {
    const unknown = { workflowId: `no-such-${randomUUID()}`, activityId: '1' };
    await expect(client.activity.complete(unknown, 'x')).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.fail(unknown, new Error('x'))).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.reportCancellation(unknown)).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.heartbeat(unknown)).rejects.toBeInstanceOf(ActivityNotFoundError);
    await expect(client.activity.heartbeat({ ...unknown, runId: randomUUID() })).rejects.toBeInstanceOf(ActivityNotFoundError);
  });

  it('the tokens we hand out are token.v1.Task, and a token a tool builds from the ids completes the activity', async () => {
    const queue = `tok-${randomUUID().slice(0, 8)}`;
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue: queue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const h = await client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: queue, workflowId: `tok-${randomUUID()}`, args: ['World'] });
      const task = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'raw' });
      const decoded = decodeTemporalTaskToken(task.taskToken ?? new Uint8Array());
      expect(decoded).toMatchObject({
        namespaceId: defaultId,
        workflowId: h.workflowId,
        runId: h.firstExecutionRunId,
        scheduledEventId: 5,
        attempt: 1,
        activityId: task.activityId,
        workflowType: 'helloActivity',
        activityType: 'greet',
      });
      expect(decoded?.componentRef?.length).toBeGreaterThan(0);
      // A token of another attempt names nothing.
      const wrongAttempt = encodeTemporalTaskToken({ namespaceId: defaultId, workflowId: h.workflowId, runId: h.firstExecutionRunId, scheduledEventId: 5, attempt: 2 });
      await expect(client.activity.complete(wrongAttempt, 'no')).rejects.toBeInstanceOf(ActivityNotFoundError);
      // As Temporal's tools build it: ids, scheduled event id and attempt, no component_ref.
      const built = encodeTemporalTaskToken({ namespaceId: defaultId, workflowId: h.workflowId, runId: h.firstExecutionRunId, scheduledEventId: 5, attempt: 1, activityId: task.activityId ?? '' });
      await client.activity.heartbeat(built, 'beat');
      await client.activity.complete(built, 'by a built token');
      expect(await h.result()).toBe('by a built token');
      // The activity is gone: both tokens are stale now.
      await expect(client.activity.complete(task.taskToken ?? new Uint8Array(), 'again')).rejects.toBeInstanceOf(ActivityNotFoundError);
      await expect(client.activity.heartbeat(built)).rejects.toBeInstanceOf(ActivityNotFoundError);
    });
  });

  it('a workflow task token of another namespace (or an unknown one) is INVALID_ARGUMENT and changes nothing', async () => {
    const queue = `xns-${randomUUID().slice(0, 8)}`;
    const otherClient = new Client({ connection: client.connection, namespace: other });
    const h = await otherClient.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: queue, workflowId: `xns-${randomUUID()}`, args: ['World'] });
    const ws = client.workflowService;
    const task = await ws.pollWorkflowTaskQueue({ namespace: other, taskQueue: { name: queue }, identity: 'raw' });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    const completeWorkflow = [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }];
    for (const namespace of ['default', `unknown-${randomUUID().slice(0, 8)}`]) {
      expect(await codeOf(ws.respondWorkflowTaskCompleted({ namespace, taskToken: task.taskToken, identity: 'raw', commands: completeWorkflow }))).toBe(status.INVALID_ARGUMENT);
      expect(await codeOf(ws.respondWorkflowTaskFailed({ namespace, taskToken: task.taskToken, identity: 'raw' }))).toBe(status.INVALID_ARGUMENT);
    }
    const d = await otherClient.workflowService.describeWorkflowExecution({ namespace: other, execution: { workflowId: h.workflowId } });
    expect(d.workflowExecutionInfo?.status).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    const history = await otherClient.workflowService.getWorkflowExecutionHistory({ namespace: other, execution: { workflowId: h.workflowId } });
    // The task waited in the backlog, so it was started in memory: its Started event is written
    // with its completion (ADR 0064), and nothing else was written.
    expect(history.history?.events?.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    ]);
    // In its own namespace the same token still works.
    await ws.respondWorkflowTaskCompleted({ namespace: other, taskToken: task.taskToken, identity: 'raw', commands: completeWorkflow });
    expect(await h.result()).toBeUndefined();
    const done = await otherClient.workflowService.getWorkflowExecutionHistory({ namespace: other, execution: { workflowId: h.workflowId } });
    expect(done.history?.events?.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
  });

  it('an activity task token of another namespace (or an unknown one) is INVALID_ARGUMENT and changes nothing', async () => {
    const queue = `xns-act-${randomUUID().slice(0, 8)}`;
    const otherClient = new Client({ connection: client.connection, namespace: other });
    const worker = await Worker.create({ connection: native, namespace: other, taskQueue: queue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const h = await otherClient.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: queue, workflowId: `xns-act-${randomUUID()}`, args: ['World'] });
      const ws = client.workflowService;
      const task = await ws.pollActivityTaskQueue({ namespace: other, taskQueue: { name: queue }, identity: 'raw' });
      const built = encodeTemporalTaskToken({ namespaceId: decodeTemporalTaskToken(task.taskToken ?? new Uint8Array())?.namespaceId ?? '', workflowId: h.workflowId, scheduledEventId: 5, attempt: 1 });
      for (const taskToken of [task.taskToken, built]) {
        for (const namespace of ['default', `unknown-${randomUUID().slice(0, 8)}`]) {
          expect(await codeOf(ws.respondActivityTaskCompleted({ namespace, taskToken, identity: 'raw' }))).toBe(status.INVALID_ARGUMENT);
          expect(await codeOf(ws.respondActivityTaskFailed({ namespace, taskToken, identity: 'raw' }))).toBe(status.INVALID_ARGUMENT);
          expect(await codeOf(ws.respondActivityTaskCanceled({ namespace, taskToken, identity: 'raw' }))).toBe(status.INVALID_ARGUMENT);
          expect(await codeOf(ws.recordActivityTaskHeartbeat({ namespace, taskToken, identity: 'raw' }))).toBe(status.INVALID_ARGUMENT);
        }
      }
      const d = await otherClient.workflowService.describeWorkflowExecution({ namespace: other, execution: { workflowId: h.workflowId } });
      expect(d.pendingActivities?.map((a) => a.state)).toEqual([temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED]);
      expect(d.pendingActivities?.[0]?.heartbeatDetails ?? null).toBeNull();
      await new Client({ connection: client.connection, namespace: other }).activity.complete(task.taskToken ?? new Uint8Array(), 'in its own namespace');
      expect(await h.result()).toBe('in its own namespace');
    });
  });

  it.each([
    ['cached', 100],
    ['cache off', 0],
  ])('eager activity dispatch never hands an activity to a %s workflow-only worker; the activity worker on the same queue runs it', async (_mode, maxCachedWorkflows) => {
    const queue = `eager-${randomUUID().slice(0, 8)}`;
    const wfWorker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue: queue,
      workflowBundle: bundle,
      identity: 'workflow-only',
      maxCachedWorkflows,
      ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
    });
    const actWorker = await Worker.create({ connection: native, namespace: 'default', taskQueue: queue, activities, identity: 'activity-only' });
    await actWorker.runUntil(
      wfWorker.runUntil(async () => {
        for (let i = 0; i < 3; i++) {
          const h = await client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: queue, workflowId: `eager-${randomUUID()}`, args: [`run ${i}`] });
          expect(await h.result()).toBe(`Hello, run ${i}!`);
          const events = (await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } })).history?.events ?? [];
          const started = events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
          expect(started.map((e) => e.activityTaskStartedEventAttributes?.identity)).toEqual(['activity-only']);
        }
      }),
    );
  });
});
