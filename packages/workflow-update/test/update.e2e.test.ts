import { randomUUID } from 'node:crypto';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, e2eDialects, quietRuntime, updateConfig } from './e2e-helpers.js';
import * as wf from './workflows/index.js';
import { matchingPlugin } from '@chasm/matching';
import { workflowPlugin } from '@chasm/workflow';
import { workflowUpdatePlugin } from '../src/index.js';

const { EventType, UpdateWorkflowExecutionLifecycleStage: Stage } = temporal.api.enums.v1;
const PLUGINS = [matchingPlugin, workflowPlugin, workflowUpdatePlugin];

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  quietRuntime();
  bundle = await bundleTestWorkflows();
});

async function startWorker(address: string, taskQueue: string, maxCachedWorkflows: number) {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    maxCachedWorkflows,
    ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** gRPC status code of a rejected call (raw connection, no SDK retries). */
async function grpcCode(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; details?: string; message?: string };
    return { code: err.code ?? -1, details: err.details ?? err.message ?? '' };
  }
  throw new Error('expected the call to fail');
}

describe.each(e2eDialects())('workflow update on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let raw: Connection;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: PLUGINS, database: db.config });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    // No retry interceptor: the tests below look at the status codes themselves.
    raw = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await raw?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  describe.each([
    { mode: 'cached', maxCachedWorkflows: 100 },
    { mode: 'cache off', maxCachedWorkflows: 0 },
  ])('with the SDK worker ($mode)', ({ maxCachedWorkflows }) => {
    const taskQueue = `upd-${dialect.name}-${maxCachedWorkflows}`;
    const id = (name: string): string => `${name}-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
    let worker: { stop(): Promise<void> };

    beforeAll(async () => {
      worker = await startWorker(server.address, taskQueue, maxCachedWorkflows);
    });
    afterAll(async () => {
      await worker?.stop();
    });

    it('executeUpdate returns the handler result; history has Accepted (with the request) and Completed', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('exec') });
      expect(await h.executeUpdate(wf.addUpdate, { args: [2], updateId: 'first' })).toBe(2);
      expect(await h.executeUpdate(wf.addUpdate, { args: [3] })).toBe(5);
      const events = (await h.fetchHistory()).events ?? [];
      const accepted = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
      const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
      expect(accepted).toHaveLength(2);
      expect(completed).toHaveLength(2);
      const a = accepted[0]!.workflowExecutionUpdateAcceptedEventAttributes!;
      expect(a.protocolInstanceId).toBe('first');
      expect(a.acceptedRequestMessageId).toBe('first/request');
      expect(a.acceptedRequest?.input?.name).toBe('add');
      expect(a.acceptedRequest?.meta?.updateId).toBe('first');
      const c = completed[0]!.workflowExecutionUpdateCompletedEventAttributes!;
      expect(Number(c.acceptedEventId)).toBe(Number(accepted[0]!.eventId));
      expect(c.meta?.updateId).toBe('first');
      expect(c.outcome?.success).toBeTruthy();
      await h.signal(wf.finishSignal);
      expect(await h.result()).toBe(5);
    });

    it('startUpdate then handle.result()', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('start') });
      const u = await h.startUpdate(wf.addUpdate, { args: [7], waitForStage: WorkflowUpdateStage.ACCEPTED });
      expect(await u.result()).toBe(7);
      // A handle for the same update id, made later, serves the stored outcome.
      expect(await h.getUpdateHandle<number>(u.updateId).result()).toBe(7);
      await h.signal(wf.finishSignal);
      await h.result();
    });

    it('a validator rejection is WorkflowUpdateFailedError and writes no Accepted event', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('reject') });
      const err = await h.executeUpdate(wf.addUpdate, { args: [-1] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toContain('negative: -1');
      expect(await h.executeUpdate(wf.addUpdate, { args: [1] })).toBe(1);
      const events = (await h.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(1);
      await h.signal(wf.finishSignal);
      await h.result();
    });

    it('the same update id twice runs the handler once and answers both with the same outcome', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('dedup') });
      const [a, b] = await Promise.all([
        h.executeUpdate(wf.addUpdate, { args: [5], updateId: 'once' }),
        h.executeUpdate(wf.addUpdate, { args: [5], updateId: 'once' }),
      ]);
      const c = await h.executeUpdate(wf.addUpdate, { args: [5], updateId: 'once' });
      expect([a, b, c]).toEqual([5, 5, 5]);
      expect(await h.query(wf.runsQuery)).toBe(1);
      await h.signal(wf.finishSignal);
      expect(await h.result()).toBe(5);
      // After the run closed, the outcome is still served for that id.
      expect(await h.executeUpdate(wf.addUpdate, { args: [5], updateId: 'once' })).toBe(5);
    });

    it('an update that ends the workflow completes in the same workflow task, before the close event', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('finish') });
      await h.executeUpdate(wf.addUpdate, { args: [3] });
      expect(await h.executeUpdate(wf.finishUpdate)).toBe('finished at 3');
      expect(await h.result()).toBe(3);
      const events = (await h.fetchHistory()).events ?? [];
      const last = events.slice(-3).map((e) => EventType[e.eventType ?? 0]);
      expect(last).toEqual([
        'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
        'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED',
        'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      ]);
    });

    it('an update on a finished workflow fails with WorkflowNotFoundError', async () => {
      const h = await client.workflow.start(wf.quick, { taskQueue, workflowId: id('finished') });
      await h.result();
      const err = await h.executeUpdate(wf.addUpdate, { args: [1] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowNotFoundError);
      expect((err as Error).message).toContain('workflow execution already completed');
    });

    it('an accepted update gets a failure outcome when the workflow is terminated', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('abort') });
      const u = await h.startUpdate(wf.blockUpdate, { args: ['x'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await h.terminate('stop');
      const err = await u.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((err as WorkflowUpdateFailedError).cause?.message).toContain('Workflow completed before the Update completed');
    });

    it('update-with-start creates the workflow when missing and updates the running one otherwise', async () => {
      const workflowId = id('uws');
      const op1 = new WithStartWorkflowOperation(wf.counter, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
      expect(await client.workflow.executeUpdateWithStart(wf.addUpdate, { args: [3], startWorkflowOperation: op1 })).toBe(3);
      const h1 = await op1.workflowHandle();
      const op2 = new WithStartWorkflowOperation(wf.counter, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
      const u = await client.workflow.startUpdateWithStart(wf.addUpdate, {
        args: [4],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
        startWorkflowOperation: op2,
      });
      expect(await u.result()).toBe(7);
      // Both handlers ran on the one run (a new run would have counted 1).
      expect((await op2.workflowHandle()).workflowId).toBe(workflowId);
      // FAIL on a running workflow: the start operation's ALREADY_EXISTS.
      const op3 = new WithStartWorkflowOperation(wf.counter, { workflowId, taskQueue, workflowIdConflictPolicy: 'FAIL' });
      const err = await client.workflow.executeUpdateWithStart(wf.addUpdate, { args: [1], startWorkflowOperation: op3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      expect(await h1.query(wf.runsQuery)).toBe(2);
      await h1.signal(wf.finishSignal);
      expect(await h1.result()).toBe(7);
      // Once that run closed, update-with-start starts a fresh one (a new counter).
      const op4 = new WithStartWorkflowOperation(wf.counter, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
      expect(await client.workflow.executeUpdateWithStart(wf.addUpdate, { args: [10], startWorkflowOperation: op4 })).toBe(10);
      const h4 = await op4.workflowHandle();
      await h4.signal(wf.finishSignal);
      expect(await h4.result()).toBe(10);
    });

    it('update-with-start with TERMINATE_EXISTING replaces the running workflow', async () => {
      const workflowId = id('uws-term');
      const h0 = await client.workflow.start(wf.counter, { taskQueue, workflowId });
      expect(await h0.executeUpdate(wf.addUpdate, { args: [5] })).toBe(5);
      const op = new WithStartWorkflowOperation(wf.counter, { workflowId, taskQueue, workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
      expect(await client.workflow.executeUpdateWithStart(wf.addUpdate, { args: [1], startWorkflowOperation: op })).toBe(1);
      expect((await client.workflow.getHandle(workflowId, h0.firstExecutionRunId).describe()).status.name).toBe('TERMINATED');
      const h1 = await op.workflowHandle();
      await h1.signal(wf.finishSignal);
      expect(await h1.result()).toBe(1);
    });

    it('50 concurrent updates on one workflow all complete', async () => {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: id('fifty') });
      const results = await Promise.all(Array.from({ length: 50 }, () => h.executeUpdate(wf.addUpdate, { args: [1] })));
      // Each handler saw a distinct running total: 1..50 in some order.
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await h.query(wf.runsQuery)).toBe(50);
      await h.signal(wf.finishSignal);
      expect(await h.result()).toBe(50);
    });
  });

  it('an update sent while no worker runs completes once one polls', async () => {
    const taskQueue = `upd-late-${dialect.name}-${randomUUID().slice(0, 8)}`;
    const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: `late-${randomUUID()}` });
    const pending = h.executeUpdate(wf.addUpdate, { args: [9], updateId: 'late' });
    // The update is admitted (a no-wait poll sees it) while no worker exists.
    const stage = async () =>
      (
        await raw.workflowService
          .pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { workflowId: h.workflowId }, updateId: 'late' } })
          .catch(() => undefined)
      )?.stage;
    await expect.poll(stage, { timeout: 10_000 }).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    const worker = await startWorker(server.address, taskQueue, 100);
    try {
      expect(await pending).toBe(9);
    } finally {
      await h.signal(wf.finishSignal);
      await h.result();
      await worker.stop();
    }
  });

  it('UpdateWorkflowExecution refuses wait stage ADMITTED (INVALID_ARGUMENT naming the field)', async () => {
    const r = await grpcCode(
      raw.workflowService.updateWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: 'any' },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        request: { meta: { updateId: 'u' }, input: { name: 'add' } },
      }),
    );
    expect(r.code).toBe(3);
    expect(r.details).toContain('wait_policy.lifecycle_stage');
    const missingName = await grpcCode(
      raw.workflowService.updateWorkflowExecution({
        namespace: 'default',
        workflowExecution: { workflowId: 'any' },
        request: { meta: { updateId: 'u' }, input: {} },
      }),
    );
    expect(missingName).toMatchObject({ code: 3 });
    expect(missingName.details).toContain('request.input.name');
  });

  it('PollWorkflowExecutionUpdate answers at once without a wait policy, NOT_FOUND for an unknown id', async () => {
    const taskQueue = `upd-poll-${dialect.name}`;
    const worker = await startWorker(server.address, taskQueue, 100);
    try {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: `poll-${randomUUID()}` });
      await h.executeUpdate(wf.addUpdate, { args: [4], updateId: 'known' });
      const ref = { workflowExecution: { workflowId: h.workflowId }, updateId: 'known' };
      const done = await raw.workflowService.pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: ref });
      expect(done.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
      expect(done.outcome?.success?.payloads).toHaveLength(1);
      expect(done.updateRef?.workflowExecution?.runId).toBe(h.firstExecutionRunId);
      const unknown = await grpcCode(
        raw.workflowService.pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { ...ref, updateId: 'nope' } }),
      );
      expect(unknown.code).toBe(5);
      await h.signal(wf.finishSignal);
      await h.result();
    } finally {
      await worker.stop();
    }
  });
});

describe.each(e2eDialects())('update limits on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let raw: Connection;
  let drop: () => Promise<void>;
  const taskQueue = `upd-limits-${dialect.name}`;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({
      plugins: PLUGINS,
      database: db.config,
      settings: updateConfig({ maxInFlightUpdates: 2, maxTotalUpdates: 3 }),
    });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    raw = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await raw?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  it('refuses update arguments over the blob size limit INVALID_ARGUMENT, before the update is admitted', async () => {
    const worker = await startWorker(server.address, taskQueue, 100);
    try {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: `limits-args-${randomUUID()}` });
      // limit.blobSize.error is 2 MiB (the workflow package's blobSizeLimitBytes).
      const big = { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(2 * 1024 * 1024 + 1, 1) };
      const refused = await grpcCode(
        raw.workflowService.updateWorkflowExecution({
          namespace: 'default',
          workflowExecution: { workflowId: h.workflowId },
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
          request: { meta: { updateId: 'too-big' }, input: { name: 'add', args: { payloads: [big] } } },
        }),
      );
      expect(refused.code).toBe(3);
      expect(refused.details).toContain('request.input.args');
      expect(refused.details).toContain('2097152');
      // Nothing was admitted: the id is unknown, and an update of ordinary size still runs.
      const poll = await grpcCode(
        raw.workflowService.pollWorkflowExecutionUpdate({
          namespace: 'default',
          updateRef: { workflowExecution: { workflowId: h.workflowId }, updateId: 'too-big' },
        }),
      );
      expect(poll.code).toBe(5);
      expect(await h.executeUpdate(wf.addUpdate, { args: [2] })).toBe(2);
      await h.signal(wf.finishSignal);
      await h.result();
    } finally {
      await worker.stop();
    }
  });

  it('beyond the in-flight limit RESOURCE_EXHAUSTED, beyond the total limit FAILED_PRECONDITION', async () => {
    const worker = await startWorker(server.address, taskQueue, 100);
    try {
      const h = await client.workflow.start(wf.counter, { taskQueue, workflowId: `limits-${randomUUID()}` });
      const u1 = await h.startUpdate(wf.blockUpdate, { args: ['a'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      const u2 = await h.startUpdate(wf.blockUpdate, { args: ['b'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      const update = (updateId: string) =>
        raw.workflowService.updateWorkflowExecution({
          namespace: 'default',
          workflowExecution: { workflowId: h.workflowId },
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
          request: { meta: { updateId }, input: { name: 'add' } },
        });
      const inFlight = await grpcCode(update('third'));
      expect(inFlight.code).toBe(8);
      expect(inFlight.details).toContain('in-flight updates');
      // A known id is joined, not counted again.
      await h.signal(wf.releaseSignal);
      expect([await u1.result(), await u2.result()]).toEqual(['a', 'b']);
      expect(await h.executeUpdate(wf.addUpdate, { args: [1] })).toBe(1);
      const total = await grpcCode(update('fourth'));
      expect(total.code).toBe(9);
      expect(total.details).toContain('total updates');
      await h.signal(wf.finishSignal);
      await h.result();
      // At 90% of the total limit, workflow tasks suggest continue-as-new (TOO_MANY_UPDATES).
      const started = ((await h.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
      const last = started[started.length - 1]!.workflowTaskStartedEventAttributes!;
      expect(last.suggestContinueAsNew).toBe(true);
      expect(last.suggestContinueAsNewReasons).toContain(temporal.api.enums.v1.SuggestContinueAsNewReason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_UPDATES);
      expect(started[0]!.workflowTaskStartedEventAttributes!.suggestContinueAsNew).toBe(false);
    } finally {
      await worker.stop();
    }
  });
});
