import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, TerminatedFailure, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { TOKENS } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { durationToMs, matchingPlugin, optionalTimestampToMs } from '@chasm/matching';
import { parseWorkflowCron, workflowCronBackoffMs } from '@chasm/schedule-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime, until } from './e2e-helpers.js';
import type * as wf from './workflows-cron/index.js';
import { workflowPlugin } from '../src/index.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const Initiator = temporal.api.enums.v1.ContinueAsNewInitiator;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const namespace = 'default';
const EVERY = '@every 1s';

const timeMs = (e: HistoryEvent | undefined): number => optionalTimestampToMs(e?.eventTime, 'event_time') ?? 0;

/**
 * Issue 11: cron workflows. A run with a `cron_schedule` that completes, fails or times out is
 * followed by the chain's next run, its first workflow task backed off to the next cron time
 * (Temporal's GetBackoffForNextSchedule from the closing run's execution time); terminate and
 * cancel end the chain; a bad cron string is INVALID_ARGUMENT before anything is stored.
 */
describe.each(testDatabaseConfigs('chasm_wf_cron'))('cron workflows on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let native: NativeConnection;
  let bundle: WorkflowBundleWithSourceMap;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    [server, bundle] = await Promise.all([
      startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config }),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows-cron/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
    ]);
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    native = await NativeConnection.connect({ address: server.address });
    // Bundling the workflows takes long on a loaded machine.
  }, 180_000);
  afterAll(async () => {
    await native?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  const historyOf = async (workflowId: string, runId: string): Promise<HistoryEvent[]> =>
    (await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId, runId } })).history?.events ?? [];
  const startedOf = (events: HistoryEvent[]) => events[0]?.workflowExecutionStartedEventAttributes ?? {};
  const describeRun = (workflowId: string, runId = '') => client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId, runId } });

  /** The runs of a chain from its first one, following new_execution_run_id, until `count` have closed. */
  async function closedRuns(workflowId: string, firstRunId: string, count: number): Promise<{ runId: string; events: HistoryEvent[] }[]> {
    return until(`${count} closed runs of ${workflowId}`, async () => {
      const runs: { runId: string; events: HistoryEvent[] }[] = [];
      let runId: string | undefined = firstRunId;
      while (runId && runs.length < count) {
        const events = await historyOf(workflowId, runId);
        const last = events.at(-1);
        const a =
          last?.workflowExecutionCompletedEventAttributes ?? last?.workflowExecutionFailedEventAttributes ?? last?.workflowExecutionTimedOutEventAttributes;
        if (!a) return undefined;
        runs.push({ runId, events });
        runId = a.newExecutionRunId ?? undefined;
      }
      return runs.length === count ? runs : undefined;
    }, 30_000);
  }

  /** Every later run: initiator CRON_SCHEDULE, the predecessor, the schedule, and Temporal's backoff from the predecessor's close. */
  function expectChained(runs: { runId: string; events: HistoryEvent[] }[], firstRunId = runs[0]!.runId): void {
    const schedule = parseWorkflowCron(EVERY);
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1]!;
      const prevStarted = startedOf(prev.events);
      const started = startedOf(runs[i]!.events);
      expect(started.initiator).toBe(Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
      expect(started.continuedExecutionRunId).toBe(prev.runId);
      expect(started.firstExecutionRunId).toBe(firstRunId);
      expect(started.originalExecutionRunId).toBe(runs[i]!.runId);
      expect(started.cronSchedule).toBe(EVERY);
      expect(started.attempt).toBe(1);
      const prevExecution = timeMs(prev.events[0]) + durationToMs(prevStarted.firstWorkflowTaskBackoff, 'backoff');
      const expected = workflowCronBackoffMs(schedule, prevExecution, timeMs(prev.events.at(-1)));
      expect(durationToMs(started.firstWorkflowTaskBackoff, 'backoff')).toBe(expected);
    }
  }

  describe.each([
    { mode: 'cached', maxCachedWorkflows: 100 },
    { mode: 'cache off', maxCachedWorkflows: 0 },
  ])('with the SDK worker ($mode)', ({ maxCachedWorkflows }) => {
    const taskQueue = `cron-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
    const id = (name: string): string => `cron-${name}-${maxCachedWorkflows}-${randomUUID().slice(0, 8)}`;
    let worker: Worker;
    let running: Promise<void>;

    beforeAll(async () => {
      worker = await Worker.create({
        connection: native,
        namespace,
        taskQueue,
        workflowBundle: bundle,
        maxCachedWorkflows,
        ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
      });
      running = worker.run();
    }, 120_000);
    afterAll(async () => {
      worker?.shutdown();
      await running;
    });

    it('chains runs at the cron times, carrying the last result; result() follows the chain; terminate ends it', async () => {
      const workflowId = id('counter');
      const before = Date.now();
      const h = await client.workflow.start<typeof wf.cronCounter>('cronCounter', { taskQueue, workflowId, cronSchedule: EVERY });
      const firstRunId = h.firstExecutionRunId;
      // Follows new_execution_run_id from the first run: settles only when the chain ends.
      const followed = client.workflow.getHandle(workflowId, firstRunId, { followRuns: true }).result().then(
        (v) => ({ v }),
        (e: unknown) => ({ e }),
      );

      // The first run waits for the first cron time too; Describe says when it will execute.
      const first = await historyOf(workflowId, firstRunId);
      const backoff = durationToMs(startedOf(first).firstWorkflowTaskBackoff, 'backoff');
      expect(backoff).toBe(workflowCronBackoffMs(parseWorkflowCron(EVERY), timeMs(first[0]), timeMs(first[0])));
      expect(backoff).toBeGreaterThan(0);
      expect(startedOf(first).cronSchedule).toBe(EVERY);
      expect(startedOf(first).initiator ?? 0).toBe(0);
      const d = (await describeRun(workflowId, firstRunId)).workflowExecutionInfo;
      expect(optionalTimestampToMs(d?.executionTime, 'execution_time')).toBe(timeMs(first[0]) + backoff);
      expect(timeMs(first[0])).toBeGreaterThanOrEqual(before - 1000);

      const runs = await closedRuns(workflowId, firstRunId, 3);
      expectChained(runs);
      const results = runs.map((r) => {
        const c = r.events.at(-1)?.workflowExecutionCompletedEventAttributes;
        expect(c, 'each cron run closes as Completed naming the next run').toBeTruthy();
        return client.options.loadedDataConverter.payloadConverter.fromPayload<wf.Tick>(c!.result!.payloads![0]!);
      });
      // workflowInfo().lastResult and cronSchedule inside the workflow: each run counts on from the last.
      expect(results.map((t) => t.n)).toEqual([1, 2, 3]);
      expect(results.map((t) => t.cronSchedule)).toEqual([EVERY, EVERY, EVERY]);
      expect(results.map((t) => t.runId)).toEqual(runs.map((r) => r.runId));
      // The completed run's result is the next run's last_completion_result.
      expect(startedOf(runs[1]!.events).lastCompletionResult?.payloads?.[0]?.data).toEqual(
        runs[0]!.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data,
      );

      await h.terminate('enough');
      const current = await describeRun(workflowId);
      expect(current.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
      const lastRun = current.workflowExecutionInfo?.execution?.runId ?? '';
      const terminated = (await historyOf(workflowId, lastRun)).at(-1);
      expect(terminated?.workflowExecutionTerminatedEventAttributes?.reason).toBe('enough');
      const r = await followed;
      expect('e' in r && r.e instanceof WorkflowFailedError && r.e.cause instanceof TerminatedFailure).toBe(true);
    });

    it('a failing run is recorded as Failed and the chain goes on, with the failure and the last good result', async () => {
      const workflowId = id('fails');
      const h = await client.workflow.start<typeof wf.cronFailsSecond>('cronFailsSecond', { taskQueue, workflowId, cronSchedule: EVERY });
      const runs = await closedRuns(workflowId, h.firstExecutionRunId, 3);
      expectChained(runs);
      const failed = runs[1]!.events.at(-1)?.workflowExecutionFailedEventAttributes;
      expect(failed?.failure?.message).toBe('second run fails');
      expect(failed?.newExecutionRunId).toBe(runs[2]!.runId);
      const third = startedOf(runs[2]!.events);
      expect(third.continuedFailure?.message).toBe('second run fails');
      // A failed run passes on the result it was given, not a new one.
      expect(third.lastCompletionResult?.payloads?.[0]?.data).toEqual(startedOf(runs[1]!.events).lastCompletionResult?.payloads?.[0]?.data);
      const tick = client.options.loadedDataConverter.payloadConverter.fromPayload<wf.Tick>(
        runs[2]!.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!,
      );
      expect(tick).toMatchObject({ n: 2, lastFailure: 'second run fails' });
      await h.terminate('done');
    });

    it('a run that times out is followed by the next run, given the timeout as its failure', async () => {
      const workflowId = id('timeout');
      const h = await client.workflow.start<typeof wf.cronTimesOutFirst>('cronTimesOutFirst', { taskQueue, workflowId, cronSchedule: EVERY, workflowRunTimeout: '1s' });
      const runs = await closedRuns(workflowId, h.firstExecutionRunId, 2);
      expectChained(runs);
      const timedOut = runs[0]!.events.at(-1)?.workflowExecutionTimedOutEventAttributes;
      expect(timedOut?.newExecutionRunId).toBe(runs[1]!.runId);
      expect(startedOf(runs[1]!.events).continuedFailure?.timeoutFailureInfo).toBeTruthy();
      const tick = client.options.loadedDataConverter.payloadConverter.fromPayload<wf.Tick>(
        runs[1]!.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!,
      );
      expect(tick).toMatchObject({ n: 1, lastFailure: 'workflow timeout' });
      await h.terminate('done');
    });

    it('retry comes first: a failed attempt is retried as a cron run, and the retry that completes is followed by the next cron run', async () => {
      const workflowId = id('retry');
      const h = await client.workflow.start<typeof wf.cronRetriesFirstAttempt>('cronRetriesFirstAttempt', {
        taskQueue,
        workflowId,
        cronSchedule: EVERY,
        retry: { maximumAttempts: 2, initialInterval: '100ms' },
      });
      const runs = await closedRuns(workflowId, h.firstExecutionRunId, 3);
      const RetryState = temporal.api.enums.v1.RetryState;
      expect(runs[0]!.events.at(-1)?.workflowExecutionFailedEventAttributes?.retryState).toBe(RetryState.RETRY_STATE_IN_PROGRESS);
      const retried = startedOf(runs[1]!.events);
      expect(retried).toMatchObject({ initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY, attempt: 2, cronSchedule: EVERY });
      expect(durationToMs(retried.firstWorkflowTaskBackoff, 'backoff')).toBe(100);
      expect(runs[1]!.events.at(-1)?.workflowExecutionCompletedEventAttributes?.newExecutionRunId).toBe(runs[2]!.runId);
      expectChained(runs.slice(1), runs[0]!.runId);
      expect(startedOf(runs[2]!.events).lastCompletionResult?.payloads?.length).toBe(1);
      await h.terminate('done');
    });

    it('a child workflow with a cron schedule chains its runs and keeps its parent', async () => {
      const parentId = id('parent');
      const childId = id('child');
      const childFirstRunId = await client.workflow.execute<typeof wf.cronParent>('cronParent', { taskQueue, workflowId: parentId, args: [childId] });
      const runs = await closedRuns(childId, childFirstRunId, 2);
      expect(durationToMs(startedOf(runs[0]!.events).firstWorkflowTaskBackoff, 'backoff')).toBe(1000);
      expectChained(runs);
      for (const r of runs) expect(startedOf(r.events).parentWorkflowExecution?.workflowId).toBe(parentId);
      await client.workflow.getHandle(childId).terminate('done');
    });
  });

  it('counts the runs each chain continued after, by how they closed', async () => {
    const text = await server.container.get<{ metrics(): Promise<string> }>(TOKENS.Metrics).metrics();
    expect(text).toMatch(/workflow_cron_continued_total\{closed="completed"\} [1-9]/);
    expect(text).toMatch(/workflow_cron_continued_total\{closed="failed"\} [1-9]/);
    expect(text).toMatch(/workflow_cron_continued_total\{closed="timedOut"\} [1-9]/);
  });

  it('signal-with-start takes a cron schedule: the first task waits for the first cron time', async () => {
    const workflowId = `cron-sws-${randomUUID().slice(0, 8)}`;
    const h = await client.workflow.signalWithStart('cronCounter', { taskQueue: 'cron-nobody', workflowId, cronSchedule: '@every 5s', signal: 'nudge' });
    const events = await historyOf(workflowId, h.signaledRunId);
    expect(startedOf(events).cronSchedule).toBe('@every 5s');
    expect(durationToMs(startedOf(events).firstWorkflowTaskBackoff, 'backoff')).toBe(5000);
    await h.terminate('done');
  });

  it.each(['not a cron', '* * * *', '0 0 * * * *', '61 * * * *', '@every 1d', 'CRON_TZ=Nowhere/Special * * * * *'])(
    'refuses the cron string %j with INVALID_ARGUMENT naming cron_schedule, and stores nothing',
    async (cronSchedule) => {
      const workflowId = `cron-bad-${randomUUID().slice(0, 8)}`;
      const err = await client.workflowService
        .startWorkflowExecution({
          namespace,
          workflowId,
          workflowType: { name: 'cronCounter' },
          taskQueue: { name: 'cron-nobody' },
          requestId: randomUUID(),
          cronSchedule,
        })
        .then(
          () => undefined,
          (e: unknown) => e as { code?: number; details?: string },
        );
      expect(err?.code).toBe(3 /* INVALID_ARGUMENT */);
      expect(err?.details).toContain('cron_schedule');
      expect(err?.details).toContain('Invalid CronSchedule');
      const missing = await describeRun(workflowId).then(
        () => undefined,
        (e: unknown) => (e as { code?: number }).code,
      );
      expect(missing).toBe(5 /* NOT_FOUND */);
    },
  );
});
