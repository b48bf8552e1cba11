import { randomUUID } from 'node:crypto';
import { ActivityFailure, Client, Connection, TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin, msToDuration } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, quietRuntime, until } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { workflowPlugin } from '../src/index.js';

const P = temporal.api.enums.v1.PendingActivityState;

/** One attempt of `operated` as the activity saw it. */
interface Attempt {
  readonly attempt: number;
  done: boolean;
  cancelled: boolean;
  paused: boolean;
  reset: boolean;
}

/** Attempts per key, and the keys whose next heartbeat loop may finish. */
const attempts = new Map<string, Attempt[]>();
const released = new Set<string>();
/** Keys whose first run fails at once (so a reset has an attempt > 1 to undo). */
const failFirst = new Set<string>();

const activities: wf.OperatedActivities = {
  async operated(key: string) {
    const ctx = Context.current();
    const list = attempts.get(key) ?? [];
    attempts.set(key, list);
    const rec: Attempt = { attempt: ctx.info.attempt, done: false, cancelled: false, paused: false, reset: false };
    list.push(rec);
    if (failFirst.has(key) && list.length === 1) throw new Error('first attempt fails');
    try {
      for (;;) {
        if (released.has(key)) {
          rec.done = true;
          return `done on attempt ${ctx.info.attempt}`;
        }
        ctx.heartbeat(list.length);
        await ctx.sleep(100);
      }
    } catch (e) {
      rec.cancelled = true;
      rec.paused = ctx.cancellationDetails?.paused ?? false;
      rec.reset = ctx.cancellationDetails?.reset ?? false;
      throw e;
    }
  },
};

/** A Duration (the SDK types its seconds as Long). */
const secs = (n: number) => msToDuration(n * 1000);

const grpcCode = (e: unknown): number | undefined => (e as { code?: number }).code;

/**
 * Issue 11: PauseActivity, UnpauseActivity, ResetActivity and UpdateActivityOptions on activities
 * of workflow runs, through the SDK's raw WorkflowService calls, with an activity that heartbeats
 * and sees pause and reset as cancellation details.
 */
describe.each(testDatabaseConfigs('chasm_wf_actops'))('activity operator commands on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let native: NativeConnection;
  let drop: (() => Promise<void>) | undefined;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `actops-${randomUUID().slice(0, 8)}`;
  const namespace = 'default';

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    const [s, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config }), bundleTestWorkflows()]);
    server = s;
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    native = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({ connection: native, namespace, taskQueue, workflowBundle: bundle, activities });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await native?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  const start = async (key: string) => {
    const workflowId = `actops-${key}`;
    const h = await client.workflow.start<typeof wf.operatedActivity>('operatedActivity', { taskQueue, workflowId, args: [key, `act-${key}`] });
    return { h, workflowId, activityId: `act-${key}` };
  };
  const pending = async (workflowId: string) => {
    const d = await client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
    return d.pendingActivities?.[0];
  };
  const runsOf = (key: string): Attempt[] => attempts.get(key) ?? [];

  it('pause: the running attempt sees paused, the activity stays pending and paused with no new attempt; unpause runs it again and the workflow completes', async () => {
    const key = `pause-${randomUUID().slice(0, 8)}`;
    const { h, workflowId, activityId } = await start(key);
    await until('the first attempt', () => (runsOf(key).length === 1 ? true : undefined));

    await client.workflowService.pauseActivity({ namespace, execution: { workflowId }, id: activityId, identity: 'operator', reason: 'maintenance' });
    // Describe at once: the attempt still runs, pause requested.
    const requested = await pending(workflowId);
    expect(requested?.paused).toBe(true);
    expect([P.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED, P.PENDING_ACTIVITY_STATE_PAUSED]).toContain(requested?.state);

    // The worker learns it on its next heartbeat and stops the attempt as paused.
    const first = await until('the attempt to see the pause', () => (runsOf(key)[0]?.cancelled ? runsOf(key)[0] : undefined));
    expect(first.paused).toBe(true);
    expect(first.reset).toBe(false);

    const paused = await until('the activity to be PAUSED', async () => {
      const p = await pending(workflowId);
      return p?.state === P.PENDING_ACTIVITY_STATE_PAUSED ? p : undefined;
    });
    expect(paused.activityId).toBe(activityId);
    expect(paused.paused).toBe(true);
    expect(paused.attempt).toBe(2);
    expect(paused.pauseInfo?.manual?.identity).toBe('operator');
    expect(paused.pauseInfo?.manual?.reason).toBe('maintenance');
    expect(paused.pauseInfo?.pauseTime).toBeTruthy();
    expect(paused.activityOptions?.taskQueue?.name).toBe(taskQueue);
    expect(Number(paused.activityOptions?.startToCloseTimeout?.seconds)).toBe(60);

    // Several retry intervals (200 ms) pass: nothing is dispatched while paused.
    const watchUntil = Date.now() + 1000;
    while (Date.now() < watchUntil) {
      expect((await pending(workflowId))?.state).toBe(P.PENDING_ACTIVITY_STATE_PAUSED);
      expect(runsOf(key)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Pausing again changes nothing.
    await client.workflowService.pauseActivity({ namespace, execution: { workflowId }, id: activityId, reason: 'again' });
    expect((await pending(workflowId))?.pauseInfo?.manual?.reason).toBe('maintenance');

    released.add(key);
    await client.workflowService.unpauseActivity({ namespace, execution: { workflowId }, id: activityId });
    expect(await h.result()).toBe('done on attempt 2');
    expect(runsOf(key).map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('reset: the running attempt sees reset and the activity starts over at attempt 1', async () => {
    const key = `reset-${randomUUID().slice(0, 8)}`;
    failFirst.add(key);
    const { h, workflowId, activityId } = await start(key);
    await until('the second attempt', () => (runsOf(key).length === 2 ? true : undefined));
    expect((await pending(workflowId))?.attempt).toBe(2);

    await client.workflowService.resetActivity({ namespace, execution: { workflowId }, id: activityId });
    const second = await until('the attempt to see the reset', () => (runsOf(key)[1]?.cancelled ? runsOf(key)[1] : undefined));
    expect(second.reset).toBe(true);
    expect(second.paused).toBe(false);

    const third = await until('the attempt after the reset', () => runsOf(key)[2]);
    expect(third.attempt).toBe(1);
    await until('Describe to show attempt 1 running', async () => {
      const p = await pending(workflowId);
      return p?.state === P.PENDING_ACTIVITY_STATE_STARTED && p.attempt === 1 ? true : undefined;
    });
    released.add(key);
    expect(await h.result()).toBe('done on attempt 1');
  });

  it('reset with keep_paused on a paused activity: attempt 1, still paused; unpause by type runs it', async () => {
    const key = `resetpaused-${randomUUID().slice(0, 8)}`;
    failFirst.add(key);
    const { h, workflowId, activityId } = await start(key);
    await until('the second attempt', () => (runsOf(key).length === 2 ? true : undefined));
    await client.workflowService.pauseActivity({ namespace, execution: { workflowId }, type: 'operated' });
    await until('the activity to be PAUSED', async () => ((await pending(workflowId))?.state === P.PENDING_ACTIVITY_STATE_PAUSED ? true : undefined));
    expect((await pending(workflowId))?.attempt).toBe(3);

    await client.workflowService.resetActivity({ namespace, execution: { workflowId }, id: activityId, keepPaused: true, resetHeartbeat: true });
    const p = await pending(workflowId);
    expect(p?.state).toBe(P.PENDING_ACTIVITY_STATE_PAUSED);
    expect(p?.attempt).toBe(1);
    expect(p?.heartbeatDetails?.payloads ?? []).toHaveLength(0);
    expect(runsOf(key)).toHaveLength(2);

    released.add(key);
    await client.workflowService.unpauseActivity({ namespace, execution: { workflowId }, type: 'operated' });
    expect(await h.result()).toBe('done on attempt 1');
  });

  it('update options: the new start-to-close timeout and retry policy show in the response and Describe, and take effect', async () => {
    const key = `update-${randomUUID().slice(0, 8)}`;
    const { h, workflowId, activityId } = await start(key);
    await until('the first attempt', () => (runsOf(key).length === 1 ? true : undefined));

    const r: temporal.api.workflowservice.v1.IUpdateActivityOptionsResponse = await client.workflowService.updateActivityOptions({
      namespace,
      execution: { workflowId },
      id: activityId,
      activityOptions: { startToCloseTimeout: secs(1), retryPolicy: { maximumAttempts: 1 } },
      updateMask: { paths: ['start_to_close_timeout', 'retryPolicy.maximumAttempts'] },
    });
    expect(Number(r.activityOptions?.startToCloseTimeout?.seconds)).toBe(1);
    // The heartbeat timeout (2 s) is capped by the new start-to-close, as at scheduling.
    expect(Number(r.activityOptions?.heartbeatTimeout?.seconds)).toBe(1);
    expect(r.activityOptions?.retryPolicy?.maximumAttempts).toBe(1);
    expect(Number(r.activityOptions?.retryPolicy?.initialInterval?.nanos)).toBe(200_000_000);

    const p = await pending(workflowId);
    expect(Number(p?.activityOptions?.startToCloseTimeout?.seconds)).toBe(1);
    expect(p?.activityOptions?.retryPolicy?.maximumAttempts).toBe(1);
    expect(p?.maximumAttempts).toBe(1);

    // The attempt never finishes by itself: the new start-to-close ends it, with no retry left.
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    expect(cause?.cause).toBeInstanceOf(TimeoutFailure);
    expect((cause?.cause as TimeoutFailure).timeoutType).toBe('START_TO_CLOSE');
    expect(runsOf(key)).toHaveLength(1);
    released.add(key);
  });

  it('update options for all activities (match_all), then restore_original brings back the scheduled options', async () => {
    const key = `restore-${randomUUID().slice(0, 8)}`;
    const { h, workflowId } = await start(key);
    await until('the first attempt', () => (runsOf(key).length === 1 ? true : undefined));
    const svc = client.workflowService;
    const updated: temporal.api.workflowservice.v1.IUpdateActivityOptionsResponse = await svc.updateActivityOptions({
      namespace,
      execution: { workflowId },
      matchAll: true,
      activityOptions: { heartbeatTimeout: secs(30), priority: { priorityKey: 2 } },
      updateMask: { paths: ['heartbeatTimeout', 'priority.priority_key'] },
    });
    expect(Number(updated.activityOptions?.heartbeatTimeout?.seconds)).toBe(30);
    expect(updated.activityOptions?.priority?.priorityKey).toBe(2);
    expect((await pending(workflowId))?.priority?.priorityKey).toBe(2);

    const restored: temporal.api.workflowservice.v1.IUpdateActivityOptionsResponse = await svc.updateActivityOptions({
      namespace,
      execution: { workflowId },
      type: 'operated',
      restoreOriginal: true,
    });
    expect(Number(restored.activityOptions?.heartbeatTimeout?.seconds)).toBe(2);
    expect(restored.activityOptions?.priority?.priorityKey ?? 0).toBe(0);
    const p = await pending(workflowId);
    expect(Number(p?.activityOptions?.heartbeatTimeout?.seconds)).toBe(2);
    expect(p?.state).toBe(P.PENDING_ACTIVITY_STATE_STARTED);
    released.add(key);
    expect(await h.result()).toBe('done on attempt 1');
  });

  it('bad input is refused with the right code, naming the field, and stores nothing', async () => {
    const key = `bad-${randomUUID().slice(0, 8)}`;
    const { h, workflowId, activityId } = await start(key);
    await until('the first attempt', () => (runsOf(key).length === 1 ? true : undefined));
    const svc = client.workflowService;
    const fail = (p: Promise<unknown>) => p.then(() => ({ code: 0, message: '' }), (e: unknown) => ({ code: grpcCode(e), message: (e as Error).message }));
    const INVALID_ARGUMENT = 3;
    const NOT_FOUND = 5;

    let e = await fail(svc.pauseActivity({ namespace, id: activityId }));
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/Execution is not set/);
    e = await fail(svc.pauseActivity({ namespace, execution: { workflowId } }));
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/activity id or activity type/);
    e = await fail(svc.pauseActivity({ namespace, execution: { workflowId }, id: 'no-such-activity' }));
    expect(e.code).toBe(NOT_FOUND);
    expect(e.message).toMatch(/activity not found/);
    e = await fail(svc.unpauseActivity({ namespace, execution: { workflowId: `missing-${key}` }, id: activityId }));
    expect(e.code).toBe(NOT_FOUND);
    e = await fail(svc.resetActivity({ namespace, execution: { workflowId }, id: activityId, jitter: secs(-1) }));
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/Jitter/);

    const update = (req: Partial<temporal.api.workflowservice.v1.IUpdateActivityOptionsRequest>) =>
      fail(svc.updateActivityOptions({ namespace, execution: { workflowId }, id: activityId, ...req }));
    e = await update({ activityOptions: { startToCloseTimeout: secs(5) }, updateMask: { paths: ['no_such_option'] } });
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/no_such_option|noSuchOption/);
    e = await update({ activityOptions: { startToCloseTimeout: secs(5) } });
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/UpdateMask/);
    e = await update({ updateMask: { paths: ['start_to_close_timeout'] } });
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/ActivityOptions/);
    e = await update({ restoreOriginal: true, updateMask: { paths: ['start_to_close_timeout'] } });
    expect(e.code).toBe(INVALID_ARGUMENT);
    // Valid mask, invalid values: checked against the activity, refused before anything changes.
    e = await update({ activityOptions: { startToCloseTimeout: secs(-5) }, updateMask: { paths: ['start_to_close_timeout'] } });
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/StartToCloseTimeout/);
    e = await update({ activityOptions: { retryPolicy: { backoffCoefficient: 0.5 } }, updateMask: { paths: ['retry_policy.backoff_coefficient'] } });
    expect(e.code).toBe(INVALID_ARGUMENT);
    expect(e.message).toMatch(/BackoffCoefficient/);
    e = await update({ activityOptions: { taskQueue: { name: '' } }, updateMask: { paths: ['task_queue.name'] } });
    expect(e.code).toBe(INVALID_ARGUMENT);

    const p = await pending(workflowId);
    expect(p?.state).toBe(P.PENDING_ACTIVITY_STATE_STARTED);
    expect(p?.paused).toBe(false);
    expect(Number(p?.activityOptions?.startToCloseTimeout?.seconds)).toBe(60);
    expect(p?.activityOptions?.retryPolicy?.backoffCoefficient).toBe(1);

    // A closed run: the workflow is done, its activities are not pending any more.
    released.add(key);
    expect(await h.result()).toBe('done on attempt 1');
    e = await fail(svc.pauseActivity({ namespace, execution: { workflowId }, id: activityId }));
    expect(e.code).toBe(NOT_FOUND);
    expect(e.message).toMatch(/workflow execution already completed/);
  });
});
