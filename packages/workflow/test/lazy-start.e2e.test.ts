import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { freePort, restartableDatabaseConfigs, scrapeCounter, type ServerProcess } from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Lazy start of stored sticky workflow tasks (ADR 0063), driven by hand over gRPC against a
 * server in a child process (so it can be killed): a sticky task that waited in the sticky
 * queue's backlog is started in memory when polled, with no commit, and its Started event is
 * written with the completion; a start that is never answered is written by the sticky
 * schedule-to-start timer and times out start-to-close; a start lost with the process is
 * recovered by that same stored timer (or by its dispatch, run again after the kill), and the lost
 * start's token is refused (it carries the start's time, ADR 0064).
 */
const { CommandType, EventType, TimeoutType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const namespace = 'default';
const packages = ['@chasm/matching', '@chasm/workflow'].map((p) => pluginPath(p, import.meta.url));
const stores = restartableDatabaseConfigs('chasm_lazy_start');

const types = (events: readonly HistoryEvent[] | null | undefined): string[] =>
  (events ?? []).map((e) => EventType[e.eventType ?? 0]!.replace('EVENT_TYPE_', ''));

describe.each(stores)('lazy start of stored sticky workflow tasks on $name', (store) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  /** A server on a fresh database (restartable on the same port) and a raw-gRPC connection to it. */
  async function setUp() {
    const { config: database, drop } = await store.open();
    cleanups.push(drop);
    const port = await freePort();
    const metricsPort = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, metricsPort, packages, logLevel: 'error' });
    const s = { server: await spawn() };
    cleanups.push(() => s.server.kill9());
    const connection = await Connection.connect({ address: s.server.address });
    cleanups.push(() => connection.close());
    const svc = connection.workflowService;
    const commits = () => scrapeCounter(metricsPort, 'chasm_commits_total');
    const history = async (workflowId: string) => (await svc.getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [];
    return {
      connection,
      svc,
      commits,
      history,
      async restart() {
        await s.server.kill9();
        s.server = await spawn();
      },
    };
  }

  /**
   * A run whose first task was completed with sticky attributes, then signalled while no sticky
   * poll waited: its second task is stored and waits in the sticky queue's backlog.
   */
  async function storedStickyTask(
    connection: Connection,
    opts: { readonly stickyTimeoutS: number; readonly taskTimeoutS: number },
  ): Promise<{ workflowId: string; queue: string; sticky: string }> {
    const svc = connection.workflowService;
    const queue = `q-${randomUUID()}`;
    const sticky = `sticky-${randomUUID()}`;
    const workflowId = `lazy-${randomUUID()}`;
    await svc.startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: 'wf' },
      taskQueue: { name: queue },
      workflowTaskTimeout: { seconds: opts.taskTimeoutS as never },
      requestId: randomUUID(),
    });
    const t1 = await svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'w' });
    expect(t1.taskToken?.length).toBeGreaterThan(0);
    await svc.respondWorkflowTaskCompleted({
      taskToken: t1.taskToken,
      identity: 'w',
      stickyAttributes: { workerTaskQueue: { name: sticky, kind: 2, normalName: queue }, scheduleToStartTimeout: { seconds: opts.stickyTimeoutS as never } },
      commands: [],
    });
    // A sticky poll that ends empty: matching now knows the sticky worker, and no poll waits.
    const empty = await connection.withDeadline(Date.now() + 1_500, () =>
      svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: sticky, kind: 2, normalName: queue }, identity: 'w' }),
    );
    expect(empty.taskToken?.length ?? 0).toBe(0);
    await svc.signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 's', identity: 'client', requestId: randomUUID() });
    return { workflowId, queue, sticky };
  }

  const pollSticky = (svc: Connection['workflowService'], queue: string, sticky: string) =>
    svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: sticky, kind: 2, normalName: queue }, identity: 'sticky-worker' });

  const completeCommand = [{ commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }];

  it('starts the task without a commit and writes its Started event, as shown, with the completion', { timeout: 60_000 }, async () => {
    const { connection, svc, commits, history } = await setUp();
    const { workflowId, queue, sticky } = await storedStickyTask(connection, { stickyTimeoutS: 10, taskTimeoutS: 10 });
    const before = await commits();
    const task = await pollSticky(svc, queue, sticky);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(types(task.history?.events)).toEqual(['WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    const shown = task.history!.events!.at(-1)!;
    expect(Number(shown.eventId)).toBe(Number(task.startedEventId));
    expect(await commits()).toBe(before);

    await svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'sticky-worker', commands: completeCommand });
    expect(await commits()).toBe(before + 1);
    const events = await history(workflowId);
    expect(types(events).slice(-4)).toEqual(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED']);
    expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
    const written = events.find((e) => Number(e.eventId) === Number(shown.eventId))!;
    expect(written.workflowTaskStartedEventAttributes).toEqual(shown.workflowTaskStartedEventAttributes);
    expect(Number(written.eventTime?.seconds)).toBe(Number(shown.eventTime?.seconds));
    expect(written.eventTime?.nanos).toBe(shown.eventTime?.nanos);
  });

  it('writes the start before a signal that arrives while the task is out', { timeout: 60_000 }, async () => {
    const { connection, svc, history } = await setUp();
    const { workflowId, queue, sticky } = await storedStickyTask(connection, { stickyTimeoutS: 10, taskTimeoutS: 10 });
    const task = await pollSticky(svc, queue, sticky);
    await svc.signalWorkflowExecution({ namespace, workflowExecution: { workflowId }, signalName: 'late', identity: 'client', requestId: randomUUID() });
    expect(types(await history(workflowId)).slice(-3)).toEqual(['WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED']);
    await svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'sticky-worker', commands: [] });
    // The late signal was buffered behind the task and gets a task of its own.
    expect(types(await history(workflowId)).slice(-4)).toEqual(['WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED']);
  });

  it('an unanswered task: the sticky timer writes its start, and it times out start-to-close', { timeout: 60_000 }, async () => {
    const { connection, svc, history } = await setUp();
    const { workflowId, queue, sticky } = await storedStickyTask(connection, { stickyTimeoutS: 1, taskTimeoutS: 2 });
    const task = await pollSticky(svc, queue, sticky);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    // Never answered: the retry (a transient second attempt) comes on the normal queue once
    // start-to-close has passed.
    const retry = await svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'w2' });
    expect(retry.taskToken?.length).toBeGreaterThan(0);
    expect(retry.attempt).toBe(2);
    const events = await history(workflowId);
    const i = types(events).lastIndexOf('WORKFLOW_TASK_TIMED_OUT');
    expect(types(events).slice(i - 2)).toEqual(['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_TIMED_OUT']);
    expect(events[i]!.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    const started = events[i - 1]!;
    const timedOut = events[i]!;
    const ms = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
    expect(ms(timedOut) - ms(started)).toBeGreaterThanOrEqual(2_000 - 5);
    await expect(svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'sticky-worker', commands: completeCommand })).rejects.toMatchObject({ code: 5 });
  });

  it('a start lost with the process: the task is offered again and the lost token is refused', { timeout: 90_000 }, async () => {
    const env = await setUp();
    const { workflowId, queue, sticky } = await storedStickyTask(env.connection, { stickyTimeoutS: 1, taskTimeoutS: 10 });
    const task = await pollSticky(env.svc, queue, sticky);
    expect(task.taskToken?.length).toBeGreaterThan(0);
    await env.restart();
    const retry = await env.svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: queue, kind: 1 }, identity: 'w2' });
    expect(retry.taskToken?.length).toBeGreaterThan(0);
    // The lost start's token is refused (it names that start, not this one); the retry completes the run.
    await expect(env.svc.respondWorkflowTaskCompleted({ taskToken: task.taskToken, identity: 'sticky-worker', commands: completeCommand })).rejects.toMatchObject({ code: 5 });
    await env.svc.respondWorkflowTaskCompleted({ taskToken: retry.taskToken, identity: 'w2', commands: completeCommand });
    const events = await env.history(workflowId);
    const afterSignal = types(events).slice(types(events).indexOf('WORKFLOW_EXECUTION_SIGNALED') + 1);
    // Two offers can reach the normal queue after the kill, both of the same task: the stored
    // sticky timer's (SCHEDULE_TO_START timeout, then a new task) and, when the kill came before
    // the processor wrote the deletion of the first dispatch, that dispatch run again (the sticky
    // queue unknown to the new process: it falls back to the normal queue). Whichever w2 got:
    const timedOut = ['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_TIMED_OUT', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED'];
    const redispatched = ['WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED'];
    expect([timedOut, redispatched]).toContainEqual(afterSignal);
    if (afterSignal.length === timedOut.length) {
      expect(events.at(-5)!.workflowTaskTimedOutEventAttributes?.timeoutType).toBe(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
    }
    expect(events.at(-3)!.workflowTaskStartedEventAttributes?.identity).toBe('w2');
    expect(events.map((e) => Number(e.eventId))).toEqual(events.map((_, i) => i + 1));
  });
});
