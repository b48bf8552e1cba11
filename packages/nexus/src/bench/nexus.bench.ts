/**
 * Nexus benchmark on real Postgres, with the official SDK: in one run, on one fresh database,
 *
 *   1. hello-activity: workflows with one activity (the baseline, as packages/workflow's bench);
 *   2. sync Nexus operations: caller workflows that each run one sync operation (the handler
 *      returns its input) through an endpoint whose target is an SDK worker's task queue;
 *   3. async workflow-backed operations: each operation starts a handler workflow (@temporalio/nexus
 *      WorkflowRunOperationHandler) whose completion callback completes the caller's operation;
 *   4. standalone activity: an activity started by the client (`client.activity.start`, no
 *      workflow), the yardstick for
 *   5. standalone sync Nexus operations: `client.nexus` startOperation of the sync `echo` operation
 *      (no workflow), then its result.
 *
 * For each: throughput end to end (BENCH_CONCURRENCY concurrent callers), workflow (or, for the
 * standalone phases, activity / operation) latency (start → result) p50/p99, for the Nexus phases the operation's latency as the caller's history
 * records it (NexusOperationScheduled → NexusOperationCompleted event times) p50/p99, database
 * commits per workflow (`pg_stat_database.xact_commit` around the phase's server process, so
 * including one start-up and shutdown), engine commits (`chasm_commits_total`), and server /
 * Postgres CPU per workflow.
 *
 *   pnpm bench nexus
 *   node packages/nexus/dist/bench/nexus.bench.js     BENCH_OPERATIONS=1000 BENCH_CONCURRENCY=50
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
 *
 * The server is the runtime CLI in a child process with matching, workflow and nexus loaded by
 * path, so its CPU is its own. The workflows are the caller e2e tests' (test/workflows), bundled
 * from source.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as nexus from 'nexus-rpc';
import {
  freePort,
  percentile,
  pool,
  postgresCpuMs,
  postgresSnapshot,
  processCpuMs,
  runBench,
  scrapeCounter,
  spawnServerProcess,
  withBenchPostgres,
  xactCommits,
  type BenchPostgres,
  type ServerProcess,
} from '@chasm/core/testing';

const N = Number(process.env['BENCH_OPERATIONS'] ?? 1_000);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 50);
/** How many histories are read for the operation latency (scheduled → completed) of a Nexus phase. */
const HISTORY_SAMPLES = Number(process.env['BENCH_HISTORY_SAMPLES'] ?? 200);

const require = createRequire(import.meta.url);
/** The runtime CLI and the plugins it loads, as built modules (the bench runs from dist). */
const CLI = require.resolve('@chasm/runtime/cli');
const PACKAGES = [
  require.resolve('@chasm/matching'),
  require.resolve('@chasm/workflow'),
  require.resolve('@chasm/standalone-activity'),
  fileURLToPath(new URL('../index.js', import.meta.url)),
];
const WORKFLOWS = fileURLToPath(new URL('../../test/workflows/caller-workflows.ts', import.meta.url));

/** The same service as the e2e tests' (test/workflows/service.ts), with the two operations measured here. */
const service = nexus.service('caller-test', {
  echo: nexus.operation<string, string>(),
  runWorkflow: nexus.operation<{ name: string; workflowId: string }, string>(),
});
const handler = nexus.serviceHandler(service, {
  async echo(_ctx, input) {
    return `echo: ${input}`;
  },
  runWorkflow: new WorkflowRunOperationHandler<{ name: string; workflowId: string }, string>((ctx, input) =>
    startWorkflow(ctx, 'greetHandler', { workflowId: input.workflowId, args: [input.name] }),
  ),
});

const plural = (unit: string): string => (unit.endsWith('y') ? `${unit.slice(0, -1)}ies` : `${unit}s`);
const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a');
const eventMs = (t: { seconds?: unknown; nanos?: unknown } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + Number(t?.nanos ?? 0) / 1e6;
const NEXUS_SCHEDULED = 48; // temporal.api.enums.v1.EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED
const NEXUS_COMPLETED = 50; // EVENT_TYPE_NEXUS_OPERATION_COMPLETED
const ACTIVITY_SCHEDULED = 10; // EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
const ACTIVITY_COMPLETED = 12; // EVENT_TYPE_ACTIVITY_TASK_COMPLETED

interface Phase {
  readonly name: string;
  readonly unit: string;
  /** Starts workflow (or standalone execution) `i` on `taskQueue` and returns its id; the bench awaits its result. */
  start(client: Client, taskQueue: string, endpoint: string, i: number): Promise<string>;
  readonly expect: (i: number, result: unknown) => boolean;
  readonly nexus: boolean;
  /** A standalone phase: no workflow; `result` awaits the execution's result, `completed` counts the completed ones. */
  readonly standalone?: {
    result(client: Client, id: string): Promise<unknown>;
    completed(client: Client, taskQueue: string, endpoint: string): Promise<number>;
  };
}

const PHASES: readonly Phase[] = [
  {
    name: 'hello-activity',
    unit: 'workflow',
    nexus: false,
    async start(client, taskQueue, _endpoint, i) {
      const workflowId = `hello-${i}-${randomUUID()}`;
      await client.workflow.start('helloActivity', { workflowId, taskQueue, args: [String(i)] });
      return workflowId;
    },
    expect: (i, r) => r === `Hello, ${i}!`,
  },
  {
    name: 'sync Nexus operation',
    unit: 'operation',
    nexus: true,
    async start(client, taskQueue, endpoint, i) {
      const workflowId = `sync-${i}-${randomUUID()}`;
      await client.workflow.start('callEcho', { workflowId, taskQueue, args: [endpoint, String(i)] });
      return workflowId;
    },
    expect: (i, r) => r === `echo: ${i}`,
  },
  {
    name: 'async workflow-backed Nexus operation',
    unit: 'operation',
    nexus: true,
    async start(client, taskQueue, endpoint, i) {
      const workflowId = `async-${i}-${randomUUID()}`;
      await client.workflow.start('callWorkflowOperation', { workflowId, taskQueue, args: [endpoint, String(i), `${workflowId}-handler`] });
      return workflowId;
    },
    expect: (i, r) => (r as { result?: string } | undefined)?.result === `Hello, ${i}!`,
  },
  {
    name: 'standalone activity',
    unit: 'activity',
    nexus: false,
    async start(client, taskQueue, _endpoint, i) {
      const id = `standalone-activity-${i}-${randomUUID()}`;
      await client.activity.start('greet', { id, taskQueue, args: [String(i)], startToCloseTimeout: '30s' });
      return id;
    },
    expect: (i, r) => r === `Hello, ${i}!`,
    standalone: {
      result: (client, id) => client.activity.getHandle(id).result(),
      completed: async (client, taskQueue) => Number((await client.activity.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`)).count),
    },
  },
  {
    name: 'standalone sync Nexus operation',
    unit: 'operation',
    nexus: true,
    async start(client, _taskQueue, endpoint, i) {
      const id = `standalone-sync-${i}-${randomUUID()}`;
      await client.nexus.createServiceClient({ endpoint, service }).startOperation('echo', String(i), { id, scheduleToCloseTimeout: '30s' });
      return id;
    },
    expect: (i, r) => r === `echo: ${i}`,
    standalone: {
      result: (client, id) => client.nexus.getHandle<string>(id).result(),
      completed: async (client, _taskQueue, endpoint) => Number((await client.nexus.count(`Endpoint = '${endpoint}' AND ExecutionStatus = 'Completed'`)).count),
    },
  },
];

/** Awaits the result of what `phase.start` started. */
const resultOf = (phase: Phase, client: Client, id: string): Promise<unknown> =>
  phase.standalone ? phase.standalone.result(client, id) : client.workflow.getHandle(id).result();

async function spawn(pg: BenchPostgres, metricsPort?: number): Promise<ServerProcess> {
  return spawnServerProcess({
    cli: CLI,
    database: { kind: 'postgres', url: pg.url },
    port: await freePort(),
    packages: PACKAGES,
    logLevel: 'error',
    ...(metricsPort !== undefined ? { metricsPort } : {}),
  });
}

async function runPhase(phase: Phase, pg: BenchPostgres, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  const metricsPort = await freePort();
  const server = await spawn(pg, metricsPort);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const run = randomUUID().slice(0, 8);
  const callerQueue = `bench-callers-${run}`;
  const handlerQueue = `bench-handlers-${run}`;
  const endpoint = `bench-${run}`;
  const workers: Worker[] = [];
  try {
    if (phase.nexus) {
      await connection.operatorService.createNexusEndpoint({ spec: { name: endpoint, target: { worker: { namespace: 'default', taskQueue: handlerQueue } } } });
      workers.push(
        await Worker.create({
          connection: native,
          namespace: 'default',
          taskQueue: handlerQueue,
          workflowBundle: bundle,
          nexusServices: [handler],
          maxConcurrentWorkflowTaskExecutions: 100,
          maxConcurrentNexusTaskExecutions: 200,
        }),
      );
    }
    workers.push(
      await Worker.create({
        connection: native,
        namespace: 'default',
        taskQueue: callerQueue,
        workflowBundle: bundle,
        maxConcurrentWorkflowTaskExecutions: 100,
        maxConcurrentActivityTaskExecutions: 200,
        activities: {
          async greet(name: string) {
            return `Hello, ${name}!`;
          },
        },
      }),
    );
    const running = workers.map((w) => w.run());

    // Warm-up (bundle load, endpoint lookup, pollers), not measured.
    await pool(
      Array.from({ length: Math.min(50, N) }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const id = await phase.start(client, callerQueue, endpoint, i);
        await resultOf(phase, client, id);
      },
    );
    await new Promise((r) => setTimeout(r, 1000));

    const commits0 = await xactCommits(pg.admin, pg.dbName);
    const engine0 = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const cpu0 = processCpuMs(server.proc.pid);
    const pg0 = postgresSnapshot();
    const latencies: number[] = [];
    const ids: string[] = [];
    let wrong = 0;
    const first = performance.now();
    let last = first;
    await pool(
      Array.from({ length: N }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        const t0 = performance.now();
        const id = await phase.start(client, callerQueue, endpoint, i);
        const result = await resultOf(phase, client, id);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        last = Math.max(last, t1);
        ids.push(id);
        if (!phase.expect(i, result)) wrong++;
      },
    );
    const seconds = (last - first) / 1000;
    const cpu1 = processCpuMs(server.proc.pid);
    const pgCpu = postgresCpuMs(pg0, postgresSnapshot());

    // The operation as the caller's history records it.
    // hello-activity: the activity's round trip the same way (scheduled → completed), the yardstick.
    const opLatencies: number[] = [];
    const [from, to] = phase.nexus ? [NEXUS_SCHEDULED, NEXUS_COMPLETED] : [ACTIVITY_SCHEDULED, ACTIVITY_COMPLETED];
    await pool(phase.standalone ? [] : ids.slice(0, HISTORY_SAMPLES), 10, async (id) => {
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      const s = events.find((e) => e.eventType === from);
      const c = events.find((e) => e.eventType === to);
      if (s && c) opLatencies.push(eventMs(c.eventTime) - eventMs(s.eventTime));
    });
    // Visibility writes trail the completions: let them land before counting commits.
    const deadline = Date.now() + 30_000;
    const completed = async (): Promise<number> =>
      phase.standalone
        ? phase.standalone.completed(client, callerQueue, endpoint)
        : (await client.workflow.count(`TaskQueue = '${callerQueue}' AND ExecutionStatus = 'Completed'`)).count;
    while ((await completed()) < N && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const engine1 = await scrapeCounter(metricsPort, 'chasm_commits_total');
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await native.close();
    await connection.close();
    await server.stop();
    const commits1 = await xactCommits(pg.admin, pg.dbName);

    latencies.sort((a, b) => a - b);
    opLatencies.sort((a, b) => a - b);
    const serverCpu = cpu0 && cpu1 ? (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / N : NaN;
    console.log(
      `${phase.name}: ${N} ${plural(phase.unit)}, ${(N / seconds).toFixed(0)} ${plural(phase.unit)}/s end to end (${CONCURRENCY} concurrent callers); ` +
        `${phase.standalone ? phase.unit : 'workflow'} start → result p50 ${ms(percentile(latencies, 50))} p99 ${ms(percentile(latencies, 99))}` +
        (phase.standalone
          ? ''
          : `; ${phase.nexus ? 'operation' : 'activity'} scheduled → completed (caller history, ${opLatencies.length} samples) p50 ${ms(percentile(opLatencies, 50))} p99 ${ms(percentile(opLatencies, 99))}`) +
        `; database commits/${phase.unit} ${((commits1 - commits0) / N).toFixed(2)} (incl. one server shutdown)` +
        `; engine commits/${phase.unit} ${((engine1 - engine0) / N).toFixed(2)}` +
        `; CPU per ${phase.unit}: server ${ms(serverCpu)}, Postgres ${ms(pgCpu / N)}` +
        (wrong > 0 ? `; WRONG RESULTS: ${wrong}` : ''),
    );
    if (wrong > 0) process.exitCode = 1;
  } catch (e) {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await server.kill9();
    throw e;
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: new DefaultLogger('ERROR') });
  await withBenchPostgres('chasm_nexus_bench', async (pg) => {
    // A first start runs the migrations, so the measured servers do only steady-state work.
    await (await spawn(pg)).stop();
    console.log(`Postgres, ${N} per phase, ${CONCURRENCY} concurrent callers`);
    for (const phase of PHASES) await runPhase(phase, pg, bundle);
  });
}

runBench(main);
