import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  internalCallback,
  NotFoundError,
  TOKENS,
  WORKFLOW_SERVICE,
  type CompletionOutcome,
  type CompletionReceiver,
  type InternalCallbackTarget,
  type ServiceClient,
} from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { jsonPayloads, matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { ContainerModule } from 'inversify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';

/**
 * Completion callbacks end to end: starts through the in-process ServiceClient (the way the
 * scheduler will start workflows) with a `temporal://internal` callback for a made-up archetype,
 * runs by a real SDK worker, and a receiver bound for that archetype that records what it gets.
 */

const namespace = 'default';
const taskQueue = 'completion-callbacks';
const ARCHETYPE = 'test.receiver';
const CallbackState = temporal.api.enums.v1.CallbackState;
const dec = new TextDecoder();

/** What the receiver got, by the callback's `data`, with waiters for the next delivery. */
class Inbox {
  readonly #got = new Map<string, CompletionOutcome[]>();
  readonly #waiters = new Map<string, ((o: CompletionOutcome) => void)[]>();
  /** Retryable failures still to throw, by data. */
  readonly failures = new Map<string, number>();
  /** Deliveries attempted, by data (successful or not). */
  readonly attempts = new Map<string, number>();
  /** Attempts that hang (never answer) still to come, by data. */
  readonly hangs = new Map<string, number>();
  /** Targets that are gone for good (the receiver answers NotFound). */
  readonly gone = new Set<string>();
  /** While set, every delivery fails with a retryable error (the receiver's side is down). */
  down = false;

  readonly receiver: CompletionReceiver = {
    archetype: ARCHETYPE,
    receive: async (target: InternalCallbackTarget, outcome: CompletionOutcome) => {
      this.attempts.set(target.data, (this.attempts.get(target.data) ?? 0) + 1);
      if (this.down) throw new Error('receiver is down');
      const hangs = this.hangs.get(target.data) ?? 0;
      if (hangs > 0) {
        this.hangs.set(target.data, hangs - 1);
        return new Promise<never>(() => undefined);
      }
      if (this.gone.has(target.data)) throw new NotFoundError(`no start ${target.data}`);
      const left = this.failures.get(target.data) ?? 0;
      if (left > 0) {
        this.failures.set(target.data, left - 1);
        throw new Error('receiver is not ready yet');
      }
      this.#got.set(target.data, [...(this.#got.get(target.data) ?? []), outcome]);
      for (const w of this.#waiters.get(target.data) ?? []) w(outcome);
      this.#waiters.delete(target.data);
    },
  };

  /** The first delivery for `data` (now, if it already came). */
  first(data: string): Promise<CompletionOutcome> {
    const got = this.#got.get(data)?.[0];
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => this.#waiters.set(data, [...(this.#waiters.get(data) ?? []), resolve]));
  }

  count(data: string): number {
    return this.#got.get(data)?.length ?? 0;
  }
}

const resultOf = (o: CompletionOutcome): unknown => {
  const p = temporal.api.common.v1.Payloads.decode(o.result!);
  return JSON.parse(dec.decode(p.payloads[0]!.data!));
};
const failureOf = (o: CompletionOutcome) => temporal.api.failure.v1.Failure.decode(o.failure!);

describe.each(testDatabaseConfigs('chasm_wf_callbacks'))('completion callbacks on $name', (dialect) => {
  const inbox = new Inbox();
  let server: TestServer;
  let drop: () => Promise<void>;
  let bundle: WorkflowBundleWithSourceMap;
  let client: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let services: ServiceClient;

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    const receivers = new ContainerModule(({ bind }) => {
      bind<CompletionReceiver>(TOKENS.CompletionReceivers).toConstantValue(inbox.receiver);
    });
    [server, bundle] = await Promise.all([
      startTestServer({
        plugins: [matchingPlugin, workflowPlugin],
        modules: [receivers],
        database: db.config,
        // Short retry delays keep the retry case quick; the policy's shape is the same.
        settings: { workflow: { callbackRetryInitialIntervalMs: 50, callbackRetryMaximumIntervalMs: 200, callbackRequestTimeoutMs: 500 } },
      }),
      bundleTestWorkflows(),
    ]);
    services = server.container.get<ServiceClient>(TOKENS.ServiceClient);
    // No retry interceptor: status codes are asserted as they are.
    client = new Client({ connection: await Connection.connect({ address: server.address, interceptors: [] }) });
    nativeConnection = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({ connection: nativeConnection, namespace, taskQueue, workflowBundle: bundle, activities });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await client?.connection.close();
    await nativeConnection?.close();
    await server?.stop();
    await drop?.();
  });

  const target = (data: string): InternalCallbackTarget => ({ namespaceId: 'ns', archetype: ARCHETYPE, businessId: 'receiver', runId: 'r', data });

  /** Starts a workflow in process with one internal callback carrying `data`; the run id the starter gets back. */
  async function start(workflowType: string, args: unknown[], data: string, extra: object = {}): Promise<{ workflowId: string; runId: string }> {
    const workflowId = `cb-${data}`;
    const r = await services.call<{ runId: string }>(WORKFLOW_SERVICE, 'StartWorkflowExecution', {
      namespace,
      workflowId,
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue },
      input: jsonPayloads(...args),
      requestId: randomUUID(),
      completionCallbacks: [{ nexus: internalCallback(target(data)) }],
      ...extra,
    });
    return { workflowId, runId: r.runId };
  }

  const describeRun = (workflowId: string, runId?: string) =>
    client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId, ...(runId ? { runId } : {}) } });

  /** Until the last run's callback reached `state` (recorded right after the receiver returns). */
  async function callbackState(workflowId: string, state: number): Promise<temporal.api.workflow.v1.ICallbackInfo> {
    const end = Date.now() + 15_000;
    for (;;) {
      const cb = (await describeRun(workflowId)).callbacks?.[0];
      if (cb?.state === state) return cb;
      if (Date.now() > end) throw new Error(`callback of ${workflowId} is ${cb?.state}, never ${state}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a completed workflow delivers completed with its result; describe shows the callback SUCCEEDED', async () => {
    const data = `done-${randomUUID()}`;
    const { workflowId, runId } = await start('quick', [], data);
    const o = await inbox.first(data);
    expect(o).toMatchObject({ status: 'completed', businessId: workflowId, firstRunId: runId, runId, failure: null });
    expect(resultOf(o)).toBe('done');
    const cb = await callbackState(workflowId, CallbackState.CALLBACK_STATE_SUCCEEDED);
    expect(cb.callback?.nexus?.url).toBe('temporal://internal');
    expect(cb.trigger?.workflowClosed).toBeTruthy();
    expect(cb.attempt).toBe(1);
    expect(cb.registrationTime).toBeTruthy();
    expect(cb.lastAttemptCompleteTime).toBeTruthy();
    expect(cb.lastAttemptFailure).toBeFalsy();
  });

  it('a failing workflow delivers failed with the failure', async () => {
    const data = `failed-${randomUUID()}`;
    const { runId } = await start('failing', [], data);
    const o = await inbox.first(data);
    expect(o).toMatchObject({ status: 'failed', runId, firstRunId: runId, result: null });
    const f = failureOf(o);
    expect(f.message).toBe('boom');
    expect(f.applicationFailureInfo?.type).toBe('TestFailure');
  });

  it('continue-as-new twice then complete delivers once, from the last run, with the first run id', async () => {
    const data = `chain-${randomUUID()}`;
    const { workflowId, runId: firstRunId } = await start('chain', [1], data);
    const o = await inbox.first(data);
    expect(o.status).toBe('completed');
    expect(resultOf(o)).toBe(30);
    expect(o.firstRunId).toBe(firstRunId);
    const last = await describeRun(workflowId);
    expect(o.runId).toBe(last.workflowExecutionInfo?.execution?.runId);
    expect(o.runId).not.toBe(firstRunId);
    await callbackState(workflowId, CallbackState.CALLBACK_STATE_SUCCEEDED);
    // The runs that continued as new kept theirs in STANDBY: no task is left that could deliver again.
    const first = await describeRun(workflowId, firstRunId);
    expect(first.workflowExecutionInfo?.status).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
    expect(first.callbacks?.map((c) => c.state)).toEqual([CallbackState.CALLBACK_STATE_STANDBY]);
    expect(inbox.count(data)).toBe(1);
  });

  it('a workflow retry delivers once, from the attempt that ends the chain', async () => {
    const data = `retry-${randomUUID()}`;
    const { workflowId, runId: firstRunId } = await start('failUntilAttempt', [2], data, {
      retryPolicy: { initialInterval: { seconds: 0, nanos: 100_000_000 }, maximumAttempts: 3 },
    });
    const o = await inbox.first(data);
    expect(o.status).toBe('completed');
    expect(resultOf(o)).toBe(2);
    expect(o.firstRunId).toBe(firstRunId);
    expect(o.runId).not.toBe(firstRunId);
    await callbackState(workflowId, CallbackState.CALLBACK_STATE_SUCCEEDED);
    expect((await describeRun(workflowId, firstRunId)).callbacks?.map((c) => c.state)).toEqual([CallbackState.CALLBACK_STATE_STANDBY]);
    expect(inbox.count(data)).toBe(1);
  });

  it('terminate delivers terminated with the reason', async () => {
    const data = `terminated-${randomUUID()}`;
    const { workflowId, runId } = await start('forever', [], data);
    await client.workflow.getHandle(workflowId).terminate('enough');
    const o = await inbox.first(data);
    expect(o).toMatchObject({ status: 'terminated', runId, result: null });
    const f = failureOf(o);
    expect(f.message).toBe('enough');
    expect(f.terminatedFailureInfo).toBeTruthy();
  });

  it('cancel delivers canceled, run timeout delivers timed out, as failures of those kinds', async () => {
    const canceled = `canceled-${randomUUID()}`;
    const timedOut = `timed-out-${randomUUID()}`;
    const c = await start('forever', [], canceled);
    await start('forever', [], timedOut, { workflowRunTimeout: { seconds: 1 } });
    await client.workflow.getHandle(c.workflowId).cancel();
    const oc = await inbox.first(canceled);
    expect(oc).toMatchObject({ status: 'canceled', runId: c.runId, result: null });
    expect(failureOf(oc).canceledFailureInfo).toBeTruthy();
    const ot = await inbox.first(timedOut);
    expect(ot).toMatchObject({ status: 'timedOut', result: null });
    expect(failureOf(ot).timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
  });

  it('a receiver that fails twice is retried with backoff, then succeeds; describe shows the attempts', async () => {
    const data = `flaky-${randomUUID()}`;
    inbox.failures.set(data, 2);
    const { workflowId } = await start('quick', [], data);
    const o = await inbox.first(data);
    expect(o.status).toBe('completed');
    expect(inbox.attempts.get(data)).toBe(3);
    const cb = await callbackState(workflowId, CallbackState.CALLBACK_STATE_SUCCEEDED);
    expect(cb.attempt).toBe(3);
    expect(cb.lastAttemptFailure).toBeFalsy();
    expect(inbox.count(data)).toBe(1);
  });

  it('an attempt that hangs past callback.request.timeout is retried', async () => {
    const data = `hang-${randomUUID()}`;
    inbox.hangs.set(data, 1);
    const { workflowId } = await start('quick', [], data);
    const o = await inbox.first(data);
    expect(o.status).toBe('completed');
    const cb = await callbackState(workflowId, CallbackState.CALLBACK_STATE_SUCCEEDED);
    expect(cb.attempt).toBe(2);
    expect(inbox.attempts.get(data)).toBe(2);
  });

  it('a receiver that answers NotFound makes the callback FAILED for good, without retries', async () => {
    const data = `gone-${randomUUID()}`;
    inbox.gone.add(data);
    const { workflowId } = await start('quick', [], data);
    const cb = await callbackState(workflowId, CallbackState.CALLBACK_STATE_FAILED);
    expect(cb.attempt).toBe(1);
    expect(cb.lastAttemptFailure?.message).toContain(data);
    expect(cb.lastAttemptFailure?.applicationFailureInfo?.nonRetryable).toBe(true);
    expect(cb.nextAttemptScheduleTime).toBeFalsy();
    expect(inbox.attempts.get(data)).toBe(1);
  });

  it('a remote start with a temporal://internal callback is refused, naming completion_callbacks, and stores nothing', async () => {
    const workflowId = `remote-${randomUUID()}`;
    const err = (await client.workflowService
      .startWorkflowExecution({
        namespace,
        workflowId,
        workflowType: { name: 'quick' },
        taskQueue: { name: taskQueue },
        requestId: randomUUID(),
        completionCallbacks: [{ nexus: internalCallback(target('forged')) }],
      })
      .catch((e: unknown) => e)) as { code: number; details: string };
    expect(err.code).toBe(3);
    expect(err.details).toContain('completion_callbacks');
    expect(err.details).toContain('reserved for the server');
    await expect(describeRun(workflowId)).rejects.toMatchObject({ code: 5 });
    expect(inbox.attempts.get('forged')).toBeUndefined();
  });

  it('counts deliveries by outcome', async () => {
    const text = await server.container.get<{ metrics(): Promise<string> }>(TOKENS.Metrics).metrics();
    expect(text).toMatch(/workflow_callback_delivery_total\{outcome="succeeded"\} [1-9]/);
    expect(text).toMatch(/workflow_callback_delivery_total\{outcome="retrying"\} [1-9]/);
  });
});

/**
 * Crash safety: the invocation is a task committed with the close (an outbox), and retries are
 * timers in the task table, so a delivery that has not succeeded survives a restart. The first
 * server's receiver is down; the callback backs off; a second server on the same database
 * (another process in production) delivers it.
 */
describe.each(testDatabaseConfigs('chasm_wf_callbacks_restart'))('completion callbacks across a restart on $name', (dialect) => {
  let drop: () => Promise<void> = async () => undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a callback still backing off when the server stops is delivered by the next one', async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    // PGlite in memory dies with its server: give it a directory to restart on (its first start,
    // which initialises the directory, takes a few seconds).
    const database = db.config.kind === 'pglite' ? { kind: 'pglite' as const, dataDir: (dir = mkdtempSync(join(tmpdir(), 'chasm-cb-'))) } : db.config;
    const serverWith = (inbox: Inbox) =>
      startTestServer({
        plugins: [matchingPlugin, workflowPlugin],
        modules: [new ContainerModule(({ bind }) => void bind<CompletionReceiver>(TOKENS.CompletionReceivers).toConstantValue(inbox.receiver))],
        database,
        settings: { workflow: { callbackRetryInitialIntervalMs: 50, callbackRetryMaximumIntervalMs: 200 } },
      });
    const data = `restart-${randomUUID()}`;
    const workflowId = `cb-${data}`;
    const before = new Inbox();
    before.down = true;
    const first = await serverWith(before);
    const bundle = await bundleTestWorkflows();
    const connection = await Connection.connect({ address: first.address, interceptors: [] });
    const native = await NativeConnection.connect({ address: first.address });
    const worker = await Worker.create({ connection: native, namespace, taskQueue, workflowBundle: bundle, activities });
    const running = worker.run();
    let describe1: temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
    try {
      await first.container.get<ServiceClient>(TOKENS.ServiceClient).call(WORKFLOW_SERVICE, 'StartWorkflowExecution', {
        namespace,
        workflowId,
        workflowType: { name: 'quick' },
        taskQueue: { name: taskQueue },
        requestId: randomUUID(),
        completionCallbacks: [{ nexus: internalCallback({ namespaceId: 'ns', archetype: ARCHETYPE, businessId: 'receiver', runId: 'r', data }) }],
      });
      const end = Date.now() + 15_000;
      for (;;) {
        describe1 = await connection.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
        const cb = describe1.callbacks[0];
        if (cb?.state === CallbackState.CALLBACK_STATE_BACKING_OFF && (cb.attempt ?? 0) >= 2) break;
        if (Date.now() > end) throw new Error(`callback never backed off: ${JSON.stringify(cb)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(describe1.callbacks[0]?.lastAttemptFailure?.message).toBe('receiver is down');
      expect(describe1.callbacks[0]?.nextAttemptScheduleTime).toBeTruthy();
    } finally {
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
      await first.stop();
    }
    const after = new Inbox();
    const second = await serverWith(after);
    try {
      const o = await after.first(data);
      expect(o.status).toBe('completed');
      expect(resultOf(o)).toBe('done');
      expect(o.businessId).toBe(workflowId);
    } finally {
      await second.stop();
    }
  });
});
