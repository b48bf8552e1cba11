import {
  ChasmError,
  ErrorCode,
  ExecutionAlreadyStartedError,
  KyselyExecutionStore,
  WORKFLOW_SERVICE,
  type CompletionOutcome,
  type CompletionStatus,
  type ExecutionStore,
  type NamespaceResolver,
  type RpcHandlerSet,
  type ServiceClient,
} from '@chasm/core';
import { createTestEngine, ManualClock, MemoryExecutionStore, testDatabases, type TestEngine } from '@chasm/core/testing';
import { decodeConflictToken } from '../src/grpc/render.js';
import { long, temporalProto, type temporal } from '@chasm/matching';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schedulerCompletionReceiver } from '../src/completion-receiver.js';
import { DEFAULT_SCHEDULER_CONFIG } from '../src/config.js';
import { scheduleRpcHandlers } from '../src/grpc/schedule-handlers.js';
import { createSchedulerLibrary } from '../src/library.js';

/**
 * The schedule's component tree on every store with a manual clock: the generator, the invoker's
 * overlap policies, backfills, limits and time zones, driven through the real RPC handlers and the
 * real completion receiver. The WorkflowService the scheduler calls is a recorder (the SDK tests
 * in *.e2e.test.ts run the real one): it dedupes request ids and refuses running ids like Temporal.
 */

const NS = 'default';
const NS_ID = 'ns-id';
const { ScheduleOverlapPolicy: P } = temporalProto.temporal.api.enums.v1;

interface Started {
  workflowId: string;
  runId: string;
  requestId: string;
  status: 'running' | CompletionStatus;
  request: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;
}

/** A WorkflowService double: starts, cancels and terminates, and what each returned. */
class FakeWorkflows implements ServiceClient {
  readonly started: Started[] = [];
  readonly cancelled: string[] = [];
  readonly terminated: string[] = [];
  failNext = 0;
  /** Completes each workflow inside its start call: the callback beats the start's record. */
  onStart: ((s: Started) => Promise<void>) | undefined;
  async call<Res>(service: string, method: string, request: object): Promise<Res> {
    expect(service).toBe(WORKFLOW_SERVICE);
    const r = request as Record<string, unknown>;
    switch (method) {
      case 'StartWorkflowExecution': {
        const req = request as temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;
        const same = this.started.find((s) => s.requestId === req.requestId);
        if (same) return { runId: same.runId, started: false } as Res;
        if (this.failNext > 0) {
          this.failNext--;
          throw new ChasmError(ErrorCode.Unavailable, 'try again');
        }
        const prior = this.started.filter((s) => s.workflowId === req.workflowId);
        if (prior.some((s) => s.status === 'running')) throw new ExecutionAlreadyStartedError('running', prior[0]!.runId, '');
        if (prior.length > 0 && req.workflowIdReusePolicy === 3) throw new ExecutionAlreadyStartedError('closed', prior[0]!.runId, '');
        const runId = `run-${this.started.length + 1}`;
        const started: Started = { workflowId: req.workflowId!, runId, requestId: req.requestId!, status: 'running', request: req };
        this.started.push(started);
        await this.onStart?.(started);
        return { runId, started: true } as Res;
      }
      case 'RequestCancelWorkflowExecution':
        this.cancelled.push((r['workflowExecution'] as { workflowId: string }).workflowId);
        return {} as Res;
      case 'TerminateWorkflowExecution':
        this.terminated.push((r['workflowExecution'] as { workflowId: string }).workflowId);
        return {} as Res;
      case 'ListSearchAttributes':
        return { customAttributes: { CustomKeywordField: 2 } } as Res;
    }
    throw new Error(`unexpected ${method}`);
  }
  running(): Started[] {
    return this.started.filter((s) => s.status === 'running');
  }
}

const namespaces: NamespaceResolver = { idOf: async () => NS_ID, nameOf: async () => NS };

const stores: { name: string; open(): Promise<{ store: ExecutionStore; close(): Promise<void> }> }[] = [
  { name: 'memory', open: async () => ({ store: new MemoryExecutionStore(), close: async () => {} }) },
  ...testDatabases().map((tdb) => ({
    name: tdb.name,
    open: async () => {
      const db = await tdb.open();
      return { store: await KyselyExecutionStore.open(db, { shardCount: 2 }), close: () => db.close() };
    },
  })),
];

const seconds = (s: number) => ({ seconds: long(s), nanos: 0 });
const ts = (ms: number) => ({ seconds: long(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 500);

describe.each(stores)('scheduler component tree on $name', (factory) => {
  let t: TestEngine;
  let close: () => Promise<void>;
  let wf: FakeWorkflows;
  let rpc: RpcHandlerSet['methods'];
  const receiver = () => schedulerCompletionReceiver(t.engine);

  beforeEach(async () => {
    const opened = await factory.open();
    close = opened.close;
    wf = new FakeWorkflows();
    // Every timer goes to the wheel when it is added: the manual clock jumps hours, and the
    // processor's periodic scan for far timers runs on real time.
    t = await createTestEngine({
      libraries: [createSchedulerLibrary({ services: wf })],
      store: opened.store,
      clock: new ManualClock(T0),
      engine: { tasks: { lookaheadMs: 365 * 24 * 3600_000 } },
    });
    rpc = scheduleRpcHandlers({ engine: t.engine, namespaces, services: wf, config: DEFAULT_SCHEDULER_CONFIG }).methods;
  });
  afterEach(async () => {
    await t.stop();
    await close();
  });

  // Responses are read field by field, as loosely as a test of the wire shape may.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = (method: string, req: object) => rpc[method]!(req, { signal: new AbortController().signal, deadline: undefined, metadata: {} }) as Promise<any>;
  const create = (id: string, schedule: temporal.api.schedule.v1.ISchedule, extra: object = {}) =>
    call('CreateSchedule', {
      namespace: NS,
      scheduleId: id,
      requestId: `create-${id}`,
      schedule: { action: { startWorkflow: { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'q' } } }, ...schedule },
      ...extra,
    });
  const describeSchedule = (id: string) => call('DescribeSchedule', { namespace: NS, scheduleId: id });
  /** Advances the clock second by second, draining after each step. */
  const tick = async (secondsToGo: number) => {
    for (let i = 0; i < secondsToGo; i++) await t.advance(1000);
  };
  const complete = async (s: Started, status: CompletionStatus = 'completed') => {
    await deliver(s, status);
    await t.drain();
  };
  /** The workflow's completion callback, as the workflow package delivers it. */
  const deliver = async (s: Started, status: CompletionStatus = 'completed') => {
    s.status = status;
    const token = s.request.completionCallbacks?.[0]?.nexus?.header?.['temporal-callback-token'];
    expect(token).toBeTruthy();
    const { decodeInternalCallbackToken } = await import('@chasm/core');
    const outcome: CompletionOutcome = { status, closeTime: t.clock.now(), businessId: s.workflowId, firstRunId: s.runId, runId: s.runId, result: null, failure: null };
    await receiver().receive(decodeInternalCallbackToken(token!), outcome);
  };

  it('starts one workflow per interval time, named after the nominal time, with the scheduled-by attributes', async () => {
    await create('every-2s', { spec: { interval: [{ interval: seconds(2) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    await t.drain();
    await tick(6);
    expect(wf.started.map((s) => s.workflowId)).toEqual(['wf-2026-01-01T00:00:02Z', 'wf-2026-01-01T00:00:04Z', 'wf-2026-01-01T00:00:06Z']);
    const first = wf.started[0]!.request;
    expect(first.identity).toBe('temporal-scheduler-default-every-2s');
    expect(first.workflowIdReusePolicy).toBe(3); // REJECT_DUPLICATE for automatic starts
    expect(Object.keys(first.searchAttributes?.indexedFields ?? {}).sort()).toEqual(['TemporalScheduledById', 'TemporalScheduledStartTime']);
    expect(first.completionCallbacks?.[0]?.nexus?.url).toBe('temporal://internal');
    const d = await describeSchedule('every-2s');
    expect(Number(d.info.actionCount)).toBe(3);
    expect(d.info.recentActions).toHaveLength(3);
    expect(d.info.futureActionTimes[0].seconds.toString()).toBe(String(Date.UTC(2026, 0, 1, 0, 0, 8) / 1000));
  });

  it('SKIP drops starts while one runs; BUFFER_ONE keeps one; BUFFER_ALL keeps all and runs them in turn', async () => {
    await create('skip', { spec: { interval: [{ interval: seconds(1) }] } });
    await create('one', { spec: { interval: [{ interval: seconds(1) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE }, action: { startWorkflow: { workflowId: 'one', workflowType: { name: 'T' }, taskQueue: { name: 'q' } } } });
    await create('all', { spec: { interval: [{ interval: seconds(1) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL }, action: { startWorkflow: { workflowId: 'all', workflowType: { name: 'T' }, taskQueue: { name: 'q' } } } });
    await t.drain();
    await tick(4);
    const of = (prefix: string) => wf.started.filter((s) => s.workflowId.startsWith(`${prefix}-`));
    expect(of('wf')).toHaveLength(1);
    expect(of('one')).toHaveLength(1);
    expect(of('all')).toHaveLength(1);
    expect(Number((await describeSchedule('skip')).info.overlapSkipped)).toBe(3);
    expect(Number((await describeSchedule('one')).info.overlapSkipped)).toBe(2);
    expect(Number((await describeSchedule('all')).info.bufferSize)).toBe(3);

    for (const p of ['wf', 'one', 'all']) await complete(of(p)[0]!);
    expect(of('wf')).toHaveLength(1); // SKIP: nothing waited
    expect(of('one')).toHaveLength(2); // the one buffered start runs when the first closes
    expect(of('all')).toHaveLength(2);
    await complete(of('all')[1]!);
    expect(of('all')).toHaveLength(3);
    // BUFFER_ALL runs the buffered starts in nominal order.
    expect(of('all').map((s) => s.workflowId)).toEqual(['all-2026-01-01T00:00:01Z', 'all-2026-01-01T00:00:02Z', 'all-2026-01-01T00:00:03Z']);
  });

  it('CANCEL_OTHER cancels the running workflow and starts the next when it closes; TERMINATE_OTHER terminates', async () => {
    await create('cancel', { spec: { interval: [{ interval: seconds(2) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER } });
    await create('term', { spec: { interval: [{ interval: seconds(2) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER }, action: { startWorkflow: { workflowId: 'term', workflowType: { name: 'T' }, taskQueue: { name: 'q' } } } });
    await t.drain();
    await tick(4);
    expect(wf.cancelled).toEqual(['wf-2026-01-01T00:00:02Z']);
    expect(wf.terminated).toEqual(['term-2026-01-01T00:00:02Z']);
    await complete(wf.started.find((s) => s.workflowId === 'wf-2026-01-01T00:00:02Z')!, 'canceled');
    await complete(wf.started.find((s) => s.workflowId === 'term-2026-01-01T00:00:02Z')!, 'terminated');
    expect(wf.running().map((s) => s.workflowId).sort()).toEqual(['term-2026-01-01T00:00:04Z', 'wf-2026-01-01T00:00:04Z']);
  });

  it('pause drops the times that pass; unpause resumes without catching up; trigger starts one even while paused', async () => {
    await create('p', { spec: { interval: [{ interval: seconds(1) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    await t.drain();
    await tick(2);
    expect(wf.started).toHaveLength(2);
    await call('PatchSchedule', { namespace: NS, scheduleId: 'p', patch: { pause: 'maintenance' } });
    await t.drain();
    await tick(3);
    expect(wf.started).toHaveLength(2);
    const d = await describeSchedule('p');
    expect(d.schedule.state).toMatchObject({ paused: true, notes: 'maintenance' });
    await call('PatchSchedule', { namespace: NS, scheduleId: 'p', patch: { triggerImmediately: {} } });
    await t.drain();
    expect(wf.started).toHaveLength(3);
    expect(wf.started[2]!.request.workflowIdReusePolicy).toBe(1); // ALLOW_DUPLICATE for manual starts
    await call('PatchSchedule', { namespace: NS, scheduleId: 'p', patch: { unpause: 'back' } });
    await t.drain();
    await tick(1);
    expect(wf.started).toHaveLength(4);
    expect(wf.started[3]!.workflowId).toBe('wf-2026-01-01T00:00:06Z');
  });

  it('backfills a past range inclusively, however paused or limited the schedule is', async () => {
    await create('bf', { spec: { interval: [{ interval: seconds(60) }] }, state: { paused: true }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    await t.drain();
    const start = Date.UTC(2025, 11, 31, 23, 50);
    await call('PatchSchedule', {
      namespace: NS,
      scheduleId: 'bf',
      patch: { backfillRequest: [{ startTime: ts(start), endTime: ts(start + 5 * 60_000), overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }] },
    });
    await t.drain();
    expect(wf.started.map((s) => s.workflowId)).toEqual([0, 1, 2, 3, 4, 5].map((m) => `wf-2025-12-31T23:5${m}:00Z`));
    await expect(
      call('PatchSchedule', { namespace: NS, scheduleId: 'bf', patch: { backfillRequest: [{ startTime: ts(start + 1000), endTime: ts(start) }] } }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, field: 'patch.backfill_request[0].start_time' });
  });

  it('limited actions stop at zero, and each one bumps the conflict token', async () => {
    const r = await create('lim', { spec: { interval: [{ interval: seconds(1) }] }, state: { limitedActions: true, remainingActions: long(2) }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    expect(decodeConflictToken(r.conflictToken)).toBe(1);
    await t.drain();
    await tick(5);
    expect(wf.started).toHaveLength(2);
    const d = await describeSchedule('lim');
    expect(Number(d.schedule.state.remainingActions)).toBe(0);
    expect(decodeConflictToken(d.conflictToken)).toBe(3);
    expect(d.info.futureActionTimes).toHaveLength(0);
  });

  it('refuses an update with a stale conflict token and never fires times before an update', async () => {
    await create('u', { spec: { interval: [{ interval: seconds(10) }] } });
    const before = await describeSchedule('u');
    await call('UpdateSchedule', { namespace: NS, scheduleId: 'u', conflictToken: before.conflictToken, schedule: { spec: { interval: [{ interval: seconds(5) }] }, action: before.schedule.action } });
    await expect(
      call('UpdateSchedule', { namespace: NS, scheduleId: 'u', conflictToken: before.conflictToken, schedule: { spec: { interval: [{ interval: seconds(1) }] } } }),
    ).rejects.toMatchObject({ code: ErrorCode.FailedPrecondition, message: 'mismatched conflict token' });
    const after = await describeSchedule('u');
    expect(after.schedule.spec.interval[0].interval.seconds.toString()).toBe('5');
    expect(Number(after.info.updateTime.seconds)).toBeGreaterThan(0);
  });

  it('retries a start that fails with a retryable error, with the same request id', async () => {
    wf.failNext = 2;
    await create('retry', { spec: { interval: [{ interval: seconds(60) }] } });
    await t.drain();
    await tick(60);
    expect(wf.started).toHaveLength(0); // two attempts failed; the third waits for its backoff
    await tick(5);
    expect(wf.started).toHaveLength(1);
    expect(wf.started[0]!.workflowId).toBe('wf-2026-01-01T00:01:00Z');
  });

  it('fires a New York cron across the spring-forward gap and the fall-back overlap (manual clock)', async () => {
    // 2026-03-08 02:30 does not exist in New York; 2026-11-01 01:30 happens twice.
    await t.advance(Date.UTC(2026, 2, 7, 12) - t.clock.now().getTime());
    await create('ny', { spec: { cronString: ['CRON_TZ=America/New_York 30 1,2 * * *'] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    await t.drain();
    for (let h = 0; h < 48; h++) await t.advance(3600_000);
    // Mar 8: 01:30 EST (06:30Z); 02:30 skipped. Mar 9: 01:30 EDT (05:30Z), 02:30 EDT (06:30Z).
    expect(wf.started.map((s) => s.workflowId)).toEqual(['wf-2026-03-08T06:30:00Z', 'wf-2026-03-09T05:30:00Z', 'wf-2026-03-09T06:30:00Z']);
    const times = await call('ListScheduleMatchingTimes', { namespace: NS, scheduleId: 'ny', startTime: ts(Date.UTC(2026, 10, 1, 0)), endTime: ts(Date.UTC(2026, 10, 1, 12)) });
    // Nov 1: 01:30 EDT (05:30Z), 01:30 EST (06:30Z), 02:30 EST (07:30Z).
    expect(times.startTime.map((x: { seconds: number }) => new Date(Number(x.seconds) * 1000).toISOString())).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:30:00.000Z',
    ]);
  });

  it('a completion that arrives before its start is recorded still closes the start (SKIP keeps running)', async () => {
    // Inside the wake-up's side effect: draining there would wait for itself.
    wf.onStart = (s) => deliver(s);
    await create('quick', { spec: { interval: [{ interval: seconds(1) }] } });
    await t.drain();
    await tick(3);
    expect(wf.started.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    const d = await describeSchedule('quick');
    expect(Number(d.info.actionCount)).toBe(3);
    expect(Number(d.info.overlapSkipped)).toBe(0);
    expect(d.info.runningWorkflows).toHaveLength(0);
    expect(d.info.recentActions.map((a: { startWorkflowStatus: number }) => a.startWorkflowStatus)).toEqual([2, 2, 2]);
  });

  it('a completion that overtakes the record of a retried start counts the action once', async () => {
    // The first attempt fails: the retry goes out with the request id the buffer holds, so the
    // completion (delivered inside the start call) finds the start and fills in its run id.
    wf.failNext = 1;
    wf.onStart = (s) => deliver(s);
    await create('retried', { spec: { interval: [{ interval: seconds(1) }] }, policies: { overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    await t.drain();
    await tick(5);
    expect(wf.started.length).toBeGreaterThanOrEqual(4);
    expect(wf.started.every((s) => s.status === 'completed')).toBe(true);
    const d = await describeSchedule('retried');
    expect(Number(d.info.actionCount)).toBe(wf.started.length);
  });

  it('refuses bad specs naming the field, storing nothing', async () => {
    const bad: [temporal.api.schedule.v1.IScheduleSpec, string][] = [
      [{ cronString: ['not a cron'] }, 'schedule.spec.cron_string[0]'],
      [{ interval: [{ interval: seconds(0) }] }, 'schedule.spec.interval[0]'],
      [{ interval: [{ interval: seconds(-5) }] }, 'schedule.spec.interval[0]'],
      [{ interval: [{ interval: seconds(10) }], jitter: seconds(20) }, 'schedule.spec.jitter'],
      [{ interval: [{ interval: seconds(10) }], timezoneName: 'Mars/Olympus' }, 'schedule.spec.timezone_name'],
      [{ interval: [{ interval: seconds(10) }], startTime: ts(T0 + 1000), endTime: ts(T0) }, 'schedule.spec.end_time'],
    ];
    for (const [spec, field] of bad) {
      await expect(create('bad', { spec })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, field });
      await expect(describeSchedule('bad')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    }
  });

  it('pause-on-failure pauses after a failed workflow, with Temporal notes; a cancel does not pause', async () => {
    await create('pof', { spec: { interval: [{ interval: seconds(1) }] }, policies: { pauseOnFailure: true, overlapPolicy: P.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } });
    await t.drain();
    await tick(1);
    await complete(wf.started[0]!, 'canceled');
    expect((await describeSchedule('pof')).schedule.state.paused).toBe(false);
    await tick(1);
    await complete(wf.started[1]!, 'failed');
    const d = await describeSchedule('pof');
    expect(d.schedule.state).toMatchObject({ paused: true, notes: 'paused, workflow failed: wf-2026-01-01T00:00:02Z' });
    await tick(3);
    expect(wf.started).toHaveLength(2);
  });

  it('deletes a schedule: NOT_FOUND afterwards, and its pending timers never start anything', async () => {
    await create('del', { spec: { interval: [{ interval: seconds(5) }] } });
    await t.drain();
    await call('DeleteSchedule', { namespace: NS, scheduleId: 'del' });
    await expect(describeSchedule('del')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await tick(6);
    expect(wf.started).toHaveLength(0);
    // The id can be used again.
    await create('del', { spec: { interval: [{ interval: seconds(5) }] } }, { requestId: 'again' });
    await expect(create('del', { spec: { interval: [{ interval: seconds(5) }] } }, { requestId: 'third' })).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
  });
});
