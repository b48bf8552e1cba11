import { randomUUID } from 'node:crypto';
import { ActivityExecutionFailedError, Client, Connection, TimeoutFailure } from '@temporalio/client';

/** A duration as the SDK takes it ('30s', ms, …). */
type Duration = NonNullable<Parameters<Client['activity']['start']>[1]['startToCloseTimeout']>;
import { restartableDatabaseConfigs, scrapeCounter, scrapeMetrics } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { standaloneActivityPlugin } from '../src/index.js';
import { eventually, freePort, spawnServer, type ServerProcess } from '../src/testing/index.js';
import { e2eDialects, quietRuntime } from './helpers.js';

/**
 * ADR 0065: an attempt a poller takes from the queue's backlog is started in memory and written
 * with the attempt's next commit; its start guard (stored when the attempt was scheduled, at its
 * shortest attempt timeout) writes a start held longer, and after a restart offers an attempt
 * whose start was lost again. Raw worker RPCs (no SDK worker), so that each step is the test's.
 */

const NOT_FOUND = 5;
const codeOf = async (p: Promise<unknown>): Promise<number | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e as { code?: number }).code,
  );
const commits = (port: number): Promise<number> => scrapeCounter(port, 'chasm_commits_total');

describe.each(e2eDialects())('lazy start of standalone activity attempts ($name)', (dialect) => {
  let dropDb: (() => Promise<void>) | undefined;
  let server: TestServer;
  let connection: Connection;
  let client: Client;
  let metricsPort: number;
  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    dropDb = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, standaloneActivityPlugin], database: db.config, metricsPort: 0 });
    metricsPort = server.metricsPort!;
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await dropDb?.();
  });

  /** Starts an activity with no poller waiting (its attempt goes to the backlog), then polls it. */
  async function startThenPoll(opts: { startToCloseTimeout: Duration; heartbeatTimeout?: Duration; maximumAttempts?: number }) {
    const taskQueue = `lazy-${randomUUID()}`;
    const handle = await client.activity.start('work', {
      id: `lazy-${randomUUID()}`,
      taskQueue,
      startToCloseTimeout: opts.startToCloseTimeout,
      ...(opts.heartbeatTimeout ? { heartbeatTimeout: opts.heartbeatTimeout } : {}),
      retry: { maximumAttempts: opts.maximumAttempts ?? 1 },
      args: ['in'],
    });
    // No poller waited at the start, so no hand-off: the attempt goes through its dispatch task
    // to matching (to the backlog, or to this poll if it is already waiting), then to onPolled.
    const before = await commits(metricsPort);
    const lazyBefore = await scrapeCounter(metricsPort, 'activity_lazy_start_total');
    const task = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'lazy-poller' });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    const commitsAtPoll = (await commits(metricsPort)) - before;
    const lazyStarts = (await scrapeCounter(metricsPort, 'activity_lazy_start_total')) - (Number.isNaN(lazyBefore) ? 0 : lazyBefore);
    return { handle, task, taskQueue, commitsAtPoll, lazyStarts };
  }

  it('starts a polled attempt without a commit and writes it with the completion', async () => {
    const { handle, task, commitsAtPoll, lazyStarts } = await startThenPoll({ startToCloseTimeout: '30s' });
    expect(commitsAtPoll).toBe(0);
    expect(lazyStarts).toBe(1);
    // Describe reads the held state: the attempt is running for the poller.
    const d = await handle.describe();
    expect(d.runState).toBe('STARTED');
    expect(d.lastWorkerIdentity).toBe('lazy-poller');
    const before = await commits(metricsPort);
    await client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'lazy-poller' });
    expect((await commits(metricsPort)) - before).toBe(1);
    const done = await handle.describe();
    expect(done.status).toBe('COMPLETED');
    expect(done.lastWorkerIdentity).toBe('lazy-poller');
  });

  it('writes the start of a heartbeating attempt with its first heartbeat', async () => {
    const { handle, task, commitsAtPoll } = await startThenPoll({ startToCloseTimeout: '30s', heartbeatTimeout: '10s' });
    expect(commitsAtPoll).toBe(0);
    const r = await client.workflowService.recordActivityTaskHeartbeat({ namespace: 'default', taskToken: task.taskToken, identity: 'lazy-poller' });
    expect(r.cancelRequested).toBe(false);
    expect((await handle.describe()).runState).toBe('STARTED');
    await client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'lazy-poller' });
    expect((await handle.describe()).status).toBe('COMPLETED');
  });

  it('a slow worker: the guard writes the start, and start-to-close runs from the real start', async () => {
    // Guard at dispatch + 2 s; start-to-close due 2 s after the poll.
    const { handle, task, commitsAtPoll } = await startThenPoll({ startToCloseTimeout: '2s', maximumAttempts: 1 });
    expect(commitsAtPoll).toBe(0);
    const startedAt = Date.now();
    await eventually(async () => (await handle.describe()).status === 'TIMED_OUT', 15_000, 'the attempt timed out', 100);
    // Not before its own start-to-close, which ran from the poll (the guard only wrote the start).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_900);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActivityExecutionFailedError);
    const cause = (err as ActivityExecutionFailedError).cause;
    expect(cause).toBeInstanceOf(TimeoutFailure);
    expect((cause as TimeoutFailure).timeoutType).toBe('START_TO_CLOSE');
    expect(await codeOf(client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'late' }))).toBe(NOT_FOUND);
  });

  it('a guard that finds its attempt still waiting writes nothing; a later poll starts it with a commit', async () => {
    const GUARD = 'chasm_tasks_total{type="activity.startGuard",outcome="executed"}';
    const guard = async (): Promise<number> => (await scrapeMetrics(metricsPort)).get(GUARD) ?? 0;
    const guardsBefore = await guard();
    const taskQueue = `waiting-${randomUUID()}`;
    // Guard at dispatch + 2 s.
    const handle = await client.activity.start('work', { id: `waiting-${randomUUID()}`, taskQueue, startToCloseTimeout: '2s' });
    const afterStart = await commits(metricsPort);
    await eventually(async () => (await guard()) > guardsBefore, 10_000, 'the start guard ran', 50);
    // The guard's transaction holds the activity's lock until its commit: one would be counted by
    // the time the poll below has started the attempt.
    const task = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'late-poller' });
    expect(task.taskToken?.length).toBeGreaterThan(0);
    expect(await commits(metricsPort)).toBe(afterStart + 1);
    await client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'late-poller' });
    expect((await handle.describe()).status).toBe('COMPLETED');
  });

  it('with lazyStart off, the poll writes the start', async () => {
    const off = await startTestServer({
      plugins: [matchingPlugin, standaloneActivityPlugin],
      metricsPort: 0,
      settings: { 'standalone-activity': { lazyStart: false } },
    });
    const conn = await Connection.connect({ address: off.address });
    try {
      const c = new Client({ connection: conn, namespace: 'default' });
      const taskQueue = `eager-${randomUUID()}`;
      const handle = await c.activity.start('work', { id: `eager-${randomUUID()}`, taskQueue, startToCloseTimeout: '30s' });
      const before = await commits(off.metricsPort!);
      const task = await c.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'p' });
      expect((await commits(off.metricsPort!)) - before).toBe(1);
      await c.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'p' });
      expect((await handle.describe()).status).toBe('COMPLETED');
    } finally {
      await conn.close();
      await off.stop();
    }
  });
});

describe.each(restartableDatabaseConfigs('chasm_sa_lazy_crash'))('a lazy start lost to kill -9 or to eviction ($name)', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function lostStart(startToCloseTimeout: Duration, extraConfig?: Readonly<Record<string, unknown>>) {
    const { config: database, drop } = await kind.open();
    cleanups.push(drop);
    const port = await freePort();
    const metricsPort = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnServer({ database, port, metricsPort, ...(extraConfig ? { extraConfig } : {}) });
    let server: ServerProcess = await spawn();
    cleanups.push(() => server.kill9());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `lost-${randomUUID()}`;
    const handle = await client.activity.start('work', { id: `lost-${randomUUID()}`, taskQueue, startToCloseTimeout, retry: { maximumAttempts: 1 } });
    const task = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'first' });
    expect(await scrapeCounter(metricsPort, 'activity_lazy_start_total')).toBe(1);
    return {
      client,
      handle,
      task,
      taskQueue,
      metricsPort,
      async restart() {
        await server.kill9();
        server = await spawn();
      },
    };
  }

  it('accepts the completion of the worker whose start was lost', { timeout: 120_000 }, async () => {
    quietRuntime();
    const { client, handle, task, restart } = await lostStart('60s');
    await restart();
    // The SDK client retries UNAVAILABLE while the server comes back.
    await client.workflowService.respondActivityTaskCompleted({
      namespace: 'default',
      taskToken: task.taskToken,
      identity: 'first',
      result: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"from the first worker"') }] },
    });
    const d = await handle.describe();
    expect(d.status).toBe('COMPLETED');
    expect(d.lastWorkerIdentity).toBe('first');
    expect(await handle.result()).toBe('from the first worker');
  });

  it('offers the attempt again when the worker whose start was lost never answers', { timeout: 120_000 }, async () => {
    quietRuntime();
    // Guard at dispatch + 3 s: the restarted server offers the attempt again by then.
    const { client, handle, task, taskQueue, restart } = await lostStart('3s');
    await restart();
    const again = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'second' });
    expect(again.taskToken?.length).toBeGreaterThan(0);
    expect(again.attempt).toBe(1);
    await client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: again.taskToken, identity: 'second' });
    const d = await handle.describe();
    expect(d.status).toBe('COMPLETED');
    expect(d.lastWorkerIdentity).toBe('second');
    // The lost start's token no longer names a running attempt.
    expect(await codeOf(client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'first' }))).toBe(NOT_FOUND);
  });

  it('keeps the execution holding a start in memory cached: its worker completes from the cache (ADR 0067)', { timeout: 60_000 }, async () => {
    quietRuntime();
    // A cache of one execution: starting another activity would evict the one holding the start.
    const { client, handle, task, metricsPort } = await lostStart('60s', { executionCache: { maxExecutions: 1 } });
    await client.activity.start('work', { id: `evictor-${randomUUID()}`, taskQueue: `other-${randomUUID()}`, startToCloseTimeout: '30s' });
    const loads = await scrapeCounter(metricsPort, 'chasm_execution_loads_total');
    await client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'first' });
    // Completed on the cached execution, which kept the start: not loaded again.
    expect(await scrapeCounter(metricsPort, 'chasm_execution_loads_total')).toBe(loads);
    const d = await handle.describe();
    expect(d.status).toBe('COMPLETED');
    expect(d.lastWorkerIdentity).toBe('first');
  });

  it('an attempt evicted while it waits in the backlog: its guard neither loads nor writes, and it is offered once (ADRs 0067, 0069)', { timeout: 60_000 }, async () => {
    quietRuntime();
    const { config: database, drop } = await kind.open();
    cleanups.push(drop);
    const metricsPort = await freePort();
    const server = await spawnServer({ database, port: await freePort(), metricsPort, extraConfig: { executionCache: { maxExecutions: 1 } } });
    cleanups.push(() => server.kill9());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const guard = async () => (await scrapeMetrics(metricsPort)).get('chasm_tasks_total{type="activity.startGuard",outcome="idle"}') ?? 0;
    const loads = async () => (await scrapeMetrics(metricsPort)).get('chasm_execution_loads_total') ?? 0;
    const guards = await guard();
    const taskQueue = `waiting-${randomUUID()}`;
    // Guard at dispatch + 1 s; no poller yet, so the attempt waits in the backlog.
    const handle = await client.activity.start('work', { id: `waiting-${randomUUID()}`, taskQueue, startToCloseTimeout: '1s', retry: { maximumAttempts: 1 } });
    // Evicts the first: nothing of it is held in memory, so the eviction loses nothing.
    await client.activity.start('work', { id: `evictor-${randomUUID()}`, taskQueue: `other-${randomUUID()}`, startToCloseTimeout: '30s' });
    const commits = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const loadsBefore = await loads();
    await eventually(async () => (await guard()) > guards, 20_000, 'the start guard to run');
    // The execution was not in memory and its memory epoch unchanged: the guard was finished
    // without loading it (ADR 0069); no commit, no second offer.
    expect(await loads()).toBe(loadsBefore);
    expect(await scrapeCounter(metricsPort, 'chasm_commits_total')).toBe(commits);
    const task = await client.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, identity: 'worker' });
    expect(task.attempt).toBe(1);
    await client.workflowService.respondActivityTaskCompleted({ namespace: 'default', taskToken: task.taskToken, identity: 'worker' });
    expect((await handle.describe()).status).toBe('COMPLETED');
    // The poll's start (the guard closed the window: a commit) and the completion, nothing else.
    expect(await scrapeCounter(metricsPort, 'chasm_commits_total')).toBe(commits + 2);
  });
});
