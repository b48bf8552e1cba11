/**
 * Workflow benchmark: hello-activity workflows per second end to end (start → workflow task →
 * activity → workflow task → completed) with the official SDK client and worker, StartWorkflow
 * latency, and commits per workflow, on PGlite and on Postgres.
 *
 *   node packages/workflow/dist/bench/workflow.bench.js          (pnpm bench workflow)
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres  BENCH_WORKFLOWS=1000
 *
 * The server runs as a child process on the built CLI with matching and workflow loaded. Engine
 * commits come from the server's `chasm_commits_total`; on Postgres, database commits are the
 * `pg_stat_database.xact_commit` delta of a fresh database around the measured phase's server
 * process (backends flush their statistics on exit), so they include one start-up and shutdown.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Database } from '@chasm/core';
import { percentile, pool, postgresCpuMs, postgresSnapshot, processCpuMs, runBench, scrapeCounter, withBenchPostgres, xactCommits } from '@chasm/core/testing';
import { freePort, spawnServer, type ChildDatabase } from '../testing/server-process.js';

const N = Number(process.env['BENCH_WORKFLOWS'] ?? 1_000);
const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 200);
// The target in the README's performance bar: 50 concurrent clients.
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 50);

const ms = (n: number): string => `${n.toFixed(1)} ms`;

interface Result {
  readonly backend: string;
  readonly throughput: number;
  readonly idleP50: number;
  readonly idleP99: number;
  readonly loadedP50: number;
  readonly loadedP99: number;
  readonly engineCommitsPerWorkflow: number;
  readonly dbCommitsPerWorkflow?: number;
  /** CPU ms per workflow: the server process, Postgres (all its processes), this process (SDK client + worker). */
  readonly serverCpuMs?: { user: number; system: number };
  readonly postgresCpuMs?: number;
  readonly sdkCpuMs: number;
}

async function run(
  backend: string,
  database: ChildDatabase,
  bundle: WorkflowBundleWithSourceMap,
  dbStats?: { admin: Database; dbName: string },
): Promise<Result> {
  const port = await freePort();
  const metricsPort = await freePort();
  const server = await spawnServer({ database, port, metricsPort });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 100,
    activities: {
      async greet(name: string) {
        return `Hello, ${name}!`;
      },
    },
  });
  const running = worker.run();
  try {
    // Unloaded start latency: one start at a time, to a queue nobody polls.
    const idle: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      await client.workflow.start('helloActivity', { workflowId: `idle-${i}-${randomUUID()}`, taskQueue: `${taskQueue}-idle`, args: ['x'] });
      idle.push(performance.now() - t0);
    }
    // Let the idle starts' visibility and dispatch settle, then count only the measured phase.
    await new Promise((r) => setTimeout(r, 1000));
    const before = dbStats ? await xactCommits(dbStats.admin, dbStats.dbName) : 0;
    const commitsBefore = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const serverCpuBefore = processCpuMs(server.proc.pid);
    const pgBefore = dbStats ? postgresSnapshot() : undefined;
    const sdkBefore = process.cpuUsage();

    const loaded: number[] = [];
    const first = performance.now();
    const ids = Array.from({ length: N }, (_, i) => i);
    let last = first;
    await pool(ids, CONCURRENCY, async (i) => {
      const t0 = performance.now();
      const h = await client.workflow.start('helloActivity', { workflowId: `b-${i}-${randomUUID()}`, taskQueue, args: [String(i)] });
      loaded.push(performance.now() - t0);
      await h.result();
      last = Math.max(last, performance.now());
    });
    const seconds = (last - first) / 1000;
    const sdkUsage = process.cpuUsage(sdkBefore);
    const serverCpuAfter = processCpuMs(server.proc.pid);
    const pgCpu = pgBefore ? postgresCpuMs(pgBefore, postgresSnapshot()) : undefined;
    // Visibility writes trail the completions: wait for them before counting commits.
    const deadline = Date.now() + 30_000;
    while ((await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`)).count < N && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1000));
    const commitsAfter = await scrapeCounter(metricsPort, 'chasm_commits_total');
    // BENCH_RPCS=1: the server's request counts per method, for the whole run (idle phase too).
    if (process.env['BENCH_RPCS']) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const line of text.split('\n')) if (line.startsWith('service_requests')) console.log(line);
    }
    idle.sort((a, b) => a - b);
    loaded.sort((a, b) => a - b);
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await server.stop();
    const after = dbStats ? await xactCommits(dbStats.admin, dbStats.dbName) : 0;
    return {
      backend,
      throughput: N / seconds,
      idleP50: percentile(idle, 50),
      idleP99: percentile(idle, 99),
      loadedP50: percentile(loaded, 50),
      loadedP99: percentile(loaded, 99),
      engineCommitsPerWorkflow: (commitsAfter - commitsBefore) / N,
      ...(dbStats ? { dbCommitsPerWorkflow: (after - before) / N } : {}),
      ...(serverCpuBefore !== undefined && serverCpuAfter !== undefined
        ? { serverCpuMs: { user: (serverCpuAfter.user - serverCpuBefore.user) / N, system: (serverCpuAfter.system - serverCpuBefore.system) / N } }
        : {}),
      ...(pgCpu !== undefined ? { postgresCpuMs: pgCpu / N } : {}),
      sdkCpuMs: (sdkUsage.user + sdkUsage.system) / 1000 / N,
    };
  } catch (e) {
    await server.kill9();
    throw e;
  }
}

function print(r: Result): void {
  console.log(
    `${r.backend}: ${N} hello-activity workflows, ${r.throughput.toFixed(0)} workflows/s end to end (${CONCURRENCY} concurrent callers); ` +
      `StartWorkflow p50 ${ms(r.idleP50)} p99 ${ms(r.idleP99)} (one at a time), p50 ${ms(r.loadedP50)} p99 ${ms(r.loadedP99)} (under load); ` +
      `engine commits/workflow ${r.engineCommitsPerWorkflow.toFixed(2)}` +
      (r.dbCommitsPerWorkflow !== undefined ? `; database commits/workflow ${r.dbCommitsPerWorkflow.toFixed(2)}` : '') +
      (r.serverCpuMs
        ? `; CPU per workflow: server ${(r.serverCpuMs.user + r.serverCpuMs.system).toFixed(2)} ms (user ${r.serverCpuMs.user.toFixed(2)}, system ${r.serverCpuMs.system.toFixed(2)})`
        : '; CPU per workflow: server n/a') +
      (r.postgresCpuMs !== undefined ? `, Postgres ${r.postgresCpuMs.toFixed(2)} ms` : '') +
      `, SDK client+worker ${r.sdkCpuMs.toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  // BENCH_BACKENDS=pglite or postgres runs one of them only.
  const backends = process.env['BENCH_BACKENDS'] ?? 'pglite,postgres';
  if (backends.includes('pglite')) print(await run('PGlite (in memory)', { kind: 'pglite' }, bundle));
  if (!backends.includes('postgres')) return;

  await withBenchPostgres('chasm_wf_bench', async ({ url, dbName, admin }) => {
    // A first start runs the migrations, so the measured run counts only steady-state work.
    await (await spawnServer({ database: { kind: 'postgres', url }, port: await freePort() })).stop();
    print(await run('Postgres', { kind: 'postgres', url }, bundle, { admin, dbName }));
  });
}

runBench(main);
