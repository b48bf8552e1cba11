import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { freePort, restartableDatabaseConfigs, scrapeCounter, scrapeMetrics, type ServerProcess } from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './e2e-helpers.js';

/**
 * Lazy start of stored normal-queue workflow tasks (ADR 0064), driven by hand over gRPC against
 * a server in a child process (so it can be killed). A task that waited in a normal queue's
 * backlog is started in memory when polled, no commit, and its Started event is written with the
 * completion. What makes that durable is the start guard, a timer stored with the task at its
 * start-to-close timeout: it writes a start whose worker has not answered (the task then times
 * out start-to-close as any other), offers a start lost with the process again, and otherwise
 * only closes the window (a task still waiting is then started with a commit, and never offered
 * twice). A worker whose start was lost with the process completes it after the restart.
 */
const { CommandType, EventType, TimeoutType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const namespace = 'default';
const packages = ['@chasm/matching', '@chasm/workflow'].map((p) => pluginPath(p, import.meta.url));
const stores = restartableDatabaseConfigs('chasm_lazy_normal_start');
const GUARD = 'chasm_tasks_total{type="workflow.workflowTaskStartGuard",outcome="executed"}';
const GUARD_IDLE = 'chasm_tasks_total{type="workflow.workflowTaskStartGuard",outcome="idle"}';
const DISPATCHES = 'chasm_tasks_total{type="workflow.dispatchWorkflowTask",outcome="executed"}';
const LAZY_NORMAL = 'workflow_lazy_start_total{queue="normal"}';
const LOADS = 'chasm_execution_loads_total';

const types = (events: readonly HistoryEvent[] | null | undefined): string[] =>
  (events ?? []).map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));
const ms = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
/** The whole history of a run whose first task completed it. */
const ONE_TASK_RUN = ['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED'];
const completeCommand = [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }];

describe.each(stores)('lazy start of stored normal-queue workflow tasks on $name', (store) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  /** A server on a fresh database (restartable on the same port) and a raw-gRPC connection to it. */
  async function setUp(extraConfig?: Readonly<Record<string, unknown>>) {
    const { config: database, drop } = await store.open();
    cleanups.push(drop);
    const port = await freePort();
    const metricsPort = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, metricsPort, packages, logLevel: 'error', ...(extraConfig ? { extraConfig } : {}) });
    const s = { server: await spawn() };
    cleanups.push(() => s.server.kill9());
    const connection = await Connection.connect({ address: s.server.address });
    cleanups.push(() => connection.close());
    const svc = connection.workflowService;
    const metric = async (series: string) => (await scrapeMetrics(metricsPort)).get(series) ?? 0;
    return {
      connection,
      svc,
      commits: () => scrapeCounter(metricsPort, 'chasm_commits_total'),
      metric,
      history: async (workflowId: string) => (await svc.getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [],
      async restart() {
        await s.server.kill9();
        s.server = await spawn();
      },
    };
  }

  /** Starts a run while no poller waits: its first task is stored and waits in the queue's backlog. */
  async function storedTask(svc: Connection['workflowService'], taskTimeoutS: number): Promise<{ workflowId: string; queue: string }> {
    const queue = `q-${randomUUID()}`;
    const workflowId = `lazy-normal-${randomUUID()}`;
    await svc.startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: 'wf' },
      taskQueue: { name: queue },
      workflowTaskTimeout: { seconds: taskTimeoutS as never },
      requestId: randomUUID(),
    });
    return { workflowId, queue };
  }

  const poll = (svc: Connection['workflowService'], queue: string, identity = 'w') =>
    svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity });

  it('starts the task without a commit and writes its Started event, as shown, with the completion', { timeout: 60_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue } = await storedTask(env.svc, 10);
    const before = await env.commits();
    const lazyBefore = await env.metric(LAZY_NORMAL);
    const task = await poll(env.svc, queue);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(types(task.history?.events)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    const shown = task.history!.events!.at(-1)!;
    expect(Number(shown.eventId)).toBe(3);
    expect(Number(task.startedEventId)).toBe(3);
    expect(await env.commits()).toBe(before);
    expect(await env.metric(LAZY_NORMAL)).toBe(lazyBefore + 1);
    // Not yet written: the stored history ends with the Scheduled event.
    expect(types(await env.history(workflowId))).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED']);

    await env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: completeCommand });
    expect(await env.commits()).toBe(before + 1);
    const events = await env.history(workflowId);
    expect(types(events)).toEqual(ONE_TASK_RUN);
    expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5]);
    expect(events[2]!.workflowTaskStartedEventAttributes).toEqual(shown.workflowTaskStartedEventAttributes);
    expect(ms(events[2]!)).toBe(ms(shown));
  });

  it('a stale completion does not cost the run the start it holds', { timeout: 60_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue } = await storedTask(env.svc, 10);
    const first = await poll(env.svc, queue);
    await env.svc.respondWorkflowTaskCompleted({ taskToken: first.taskToken, identity: 'w', commands: [] });
    await env.svc.signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 's', identity: 'client', requestId: randomUUID() });
    const second = await poll(env.svc, queue, 'poller');
    const shown = second.history!.events!.at(-1)!;
    expect(types([shown])).toEqual(['WORKFLOW_TASK_STARTED']);
    // The first task's token is stale: refused before the transaction, the held start untouched.
    await expect(env.svc.respondWorkflowTaskCompleted({ taskToken: first.taskToken, identity: 'w', commands: completeCommand })).rejects.toMatchObject({ code: 5 });
    await env.svc.respondWorkflowTaskCompleted({ taskToken: second.taskToken, identity: 'completer', commands: completeCommand });
    const events = await env.history(workflowId);
    const written = events.find((e) => Number(e.eventId) === Number(shown.eventId))!;
    // Written as shown (identity of the poll, time of the start), not restored at the completion.
    expect(written.workflowTaskStartedEventAttributes).toEqual(shown.workflowTaskStartedEventAttributes);
    expect(written.workflowTaskStartedEventAttributes?.identity).toBe('poller');
    expect(ms(written)).toBe(ms(shown));
    expect(types(events).slice(-2)).toEqual(['WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED']);
  });

  it('a bad command on a task started in memory fails the task, Started and Failed written', { timeout: 60_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue } = await storedTask(env.svc, 10);
    const task = await poll(env.svc, queue);
    const bad = [{ commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: 't', startToFireTimeout: { seconds: -5 as never } } }];
    await expect(env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: bad })).rejects.toMatchObject({ code: 3 });
    const events = await env.history(workflowId);
    expect(types(events)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_FAILED']);
    expect(events[3]!.workflowTaskFailedEventAttributes?.cause).toBe(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES);
    expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4]);
  });

  it('an unanswered task: the guard writes its start, and it times out start-to-close', { timeout: 60_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue } = await storedTask(env.svc, 2);
    const task = await poll(env.svc, queue);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    // Never answered: the retry (a transient second attempt) comes once start-to-close has passed.
    const retry = await poll(env.svc, queue, 'w2');
    expect(retry.taskToken?.length).toBeGreaterThan(0);
    expect(retry.attempt).toBe(2);
    const events = await env.history(workflowId);
    expect(types(events)).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_TIMED_OUT']);
    expect(events[3]!.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    expect(ms(events[2]!)).toBe(ms(task.history!.events!.at(-1)!));
    expect(ms(events[3]!) - ms(events[2]!)).toBeGreaterThanOrEqual(2_000 - 5);
    await expect(env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: completeCommand })).rejects.toMatchObject({ code: 5 });
  });

  it('a task still waiting when its guard runs is started with a commit, and offered once', { timeout: 60_000 }, async () => {
    const env = await setUp();
    const guards = await env.metric(GUARD);
    const dispatches = await env.metric(DISPATCHES);
    const { workflowId, queue } = await storedTask(env.svc, 1);
    const afterStart = await env.commits();
    await until('the start guard to run', async () => ((await env.metric(GUARD)) > guards ? true : undefined));
    const before = await env.commits();
    const lazyBefore = await env.metric(LAZY_NORMAL);
    const task = await poll(env.svc, queue);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(await env.commits()).toBe(before + 1);
    // The guard wrote nothing (it only closed the window, by time): the poll's start is the one
    // commit since the run's. The guard's transaction holds the run's lock until its commit, so
    // a commit of it would be counted by now.
    expect(await env.commits()).toBe(afterStart + 1);
    expect(await env.metric(LAZY_NORMAL)).toBe(lazyBefore);
    // Dispatched once: the run stayed cached, so the guard knew no start could have been lost.
    // (Had it offered the task again, the first copy would be stale and this poll would have
    // taken the second, dispatched by then.)
    expect(await env.metric(DISPATCHES)).toBe(dispatches + 1);
    expect(types(await env.history(workflowId))).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    await env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: [] });
    // The run is still open and has no task: nothing else is in the backlog.
    const none = await env.connection.withDeadline(Date.now() + 1_500, () => poll(env.svc, queue, 'w2'));
    expect(none.taskToken?.length ?? 0).toBe(0);
  });

  it('kill -9 after the start: the worker completes it after the restart', { timeout: 90_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue } = await storedTask(env.svc, 10);
    const task = await poll(env.svc, queue);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    await env.restart();
    await env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: completeCommand });
    const events = await env.history(workflowId);
    // The Started event is written with the start time the worker was shown (its token carries it).
    expect(ms(events[2]!)).toBe(ms(task.history!.events!.at(-1)!));
    expect(types(events)).toEqual(ONE_TASK_RUN);
    expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4, 5]);
  });

  it('kill -9 after the start and no answer: the task is offered again', { timeout: 90_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue } = await storedTask(env.svc, 1);
    const task = await poll(env.svc, queue);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    await env.restart();
    // The start guard (due 1 s after the task was scheduled) finds the run's memory epoch changed
    // (another process: the start held in memory may be lost) and offers the task again. (The dispatch of the first offer may also be
    // run again after the kill, its deletion not yet written; either copy is the same task.)
    const again = await poll(env.svc, queue, 'w2');
    expect(again.taskToken?.length).toBeGreaterThan(0);
    expect(again.attempt).toBe(1);
    expect(Number(again.startedEventId)).toBe(3);
    await env.svc.respondWorkflowTaskCompleted({ taskToken: again.taskToken, identity: 'w2', commands: completeCommand });
    const events = await env.history(workflowId);
    expect(types(events)).toEqual(ONE_TASK_RUN);
    expect(events[2]!.workflowTaskStartedEventAttributes?.identity).toBe('w2');
    // Whatever offer the worker of the lost start holds is spent now.
    await expect(env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: completeCommand })).rejects.toMatchObject({ code: 5 });
  });

  it('a run holding a start in memory is not evicted: its worker completes the task from the cache (ADR 0067)', { timeout: 60_000 }, async () => {
    // A cache of one execution: starting another run would evict the one holding the start.
    const env = await setUp({ executionCache: { maxExecutions: 1 } });
    const { workflowId, queue } = await storedTask(env.svc, 10);
    const task = await poll(env.svc, queue);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    await storedTask(env.svc, 10);
    const loads = await env.metric(LOADS);
    await env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: completeCommand });
    // Completed from the cached run, which kept the start: not loaded again.
    expect(await env.metric(LOADS)).toBe(loads);
    const events = await env.history(workflowId);
    expect(types(events)).toEqual(ONE_TASK_RUN);
    expect(events[2]!.workflowTaskStartedEventAttributes?.identity).toBe('w');
  });

  it('a run evicted while its task waits in the backlog: the guard neither loads nor writes, the task is offered once (ADRs 0067, 0069)', { timeout: 60_000 }, async () => {
    const env = await setUp({ executionCache: { maxExecutions: 1 } });
    const guards = await env.metric(GUARD_IDLE);
    const dispatches = await env.metric(DISPATCHES);
    const { workflowId, queue } = await storedTask(env.svc, 1);
    // Evicts the first run: nothing of it is held in memory, so the eviction loses nothing.
    await storedTask(env.svc, 10);
    const afterStarts = await env.commits();
    const loads = await env.metric(LOADS);
    await until('the start guard to run', async () => ((await env.metric(GUARD_IDLE)) > guards ? true : undefined));
    // The run was not in memory and its memory epoch unchanged: the guard was finished without
    // loading it (ADR 0069) and wrote nothing.
    expect(await env.metric(LOADS)).toBe(loads);
    expect(await env.commits()).toBe(afterStarts);
    const task = await poll(env.svc, queue);
    expect(task.attempt).toBe(1);
    expect(Number(task.startedEventId)).toBe(3);
    await env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'w', commands: completeCommand });
    expect(types(await env.history(workflowId))).toEqual(ONE_TASK_RUN);
    // One dispatch per run: the task was never offered again.
    expect(await env.metric(DISPATCHES)).toBe(dispatches + 2);
  });
});
