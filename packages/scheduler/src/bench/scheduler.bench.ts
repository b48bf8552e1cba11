/**
 * Scheduler benchmark on real Postgres (a fresh database per phase), with the official SDK.
 *
 *   pnpm bench scheduler [-- --schedules 10000 --firing 1000 --seconds 60]
 *   node packages/scheduler/dist/bench/scheduler.bench.js --schedules 500 --firing 50 --seconds 10   (quick run)
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
 *
 * The server runs as a child process (the runtime CLI with matching, workflow and scheduler
 * loaded by path), so its CPU and RSS are its own.
 *
 * Phase 1, at rest: `--schedules` schedules are created (50 concurrent callers) with a spec that
 * does not fire during the run (yearly); creation rate and CreateSchedule latency; server RSS
 * before, 5 s after and `--settle` (75) s after creation (once the execution cache dropped them),
 * and again on a fresh server over the same database; server CPU while idle with them.
 *
 * Phase 2, firing: `--firing` schedules fire every second for `--seconds` s (start and end times
 * set after all are created; overlap ALLOW_ALL, so every nominal time is one action); an SDK worker
 * in this process runs the started workflows. Fire lateness = the started workflow's start time
 * (visibility) minus the nominal time in its id; database commits per action
 * (`pg_stat_database.xact_commit`, everything the server does for an action: the schedule's
 * bookkeeping and the workflow it starts, run and completes), engine commits per action
 * (`chasm_commits_total`) and server / Postgres CPU per action over the firing window.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import {
  freePort,
  percentile,
  pool,
  postgresCpuMs,
  postgresSnapshot,
  processCpuMs,
  runBench,
  scrapeCounter,
  withBenchPostgres,
  xactCommits,
  type BenchPostgres,
  type ServerProcess,
} from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { nominalMs, numberFlag, printTable, rssMiB } from './bench-util.js';

const argv = process.argv.slice(2);
const SCHEDULES = numberFlag(argv, 'schedules', 10_000);
const FIRING = numberFlag(argv, 'firing', 1_000);
const SECONDS = numberFlag(argv, 'seconds', 60);
const CONCURRENCY = numberFlag(argv, 'concurrency', 50);
/** How long after creation the idle RSS is read again (the execution cache keeps executions for a minute). */
const SETTLE_SECONDS = numberFlag(argv, 'settle', 75);

const PACKAGES = ['@chasm/matching', '@chasm/workflow', '@chasm/scheduler'].map((p) => pluginPath(p, import.meta.url));
const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a');
const mib = (n: number | undefined): string => (n === undefined ? 'n/a' : `${n.toFixed(0)} MiB`);
const cpu = (pid: number | undefined): number => {
  const c = processCpuMs(pid);
  return c ? c.user + c.system : NaN;
};
/** Phase 1's creation rate (schedules/s), to place phase 2's range after its creations. */
let measuredCreateRate = 100;
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

async function spawn(url: string, metricsPort?: number): Promise<ServerProcess> {
  return spawnRuntime({
    database: { kind: 'postgres', url },
    port: await freePort(),
    packages: PACKAGES,
    logLevel: 'error',
    ...(metricsPort !== undefined ? { metricsPort } : {}),
  });
}

async function atRest(pg: BenchPostgres): Promise<void> {
  // A first start runs the migrations, so the measured server does only steady-state work.
  await (await spawn(pg.url)).stop();
  const commitsBefore = await xactCommits(pg.admin, pg.dbName);
  const server = await spawn(pg.url);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  await client.workflowService.getSystemInfo({});
  await sleep(2_000);
  const rssBefore = rssMiB(server.proc.pid);
  const cpuBefore = cpu(server.proc.pid);
  const taskQueue = `bench-rest-${randomUUID()}`;
  const latencies: number[] = [];
  const t0 = performance.now();
  await pool(
    Array.from({ length: SCHEDULES }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const s = performance.now();
      await client.schedule.create({
        scheduleId: `rest-${i}`,
        spec: { cronExpressions: ['@yearly'] },
        action: { type: 'startWorkflow', workflowType: 'quick', taskQueue, workflowId: `rest-${i}-wf` },
      });
      latencies.push(performance.now() - s);
    },
  );
  const createSeconds = (performance.now() - t0) / 1000;
  measuredCreateRate = SCHEDULES / createSeconds;
  const cpuCreate = cpu(server.proc.pid) - cpuBefore;
  await sleep(5_000);
  const rssAfter = rssMiB(server.proc.pid);
  const idleCpu0 = cpu(server.proc.pid);
  await sleep(10_000);
  const idleCpuPerSec = (cpu(server.proc.pid) - idleCpu0) / 10;
  // The engine's execution cache drops executions unused for a minute: RSS once that passed.
  const createdAt = t0 + createSeconds * 1000;
  await sleep(Math.max(0, createdAt + SETTLE_SECONDS * 1000 - performance.now()));
  const rssSettled = rssMiB(server.proc.pid);
  const count = await client.workflowService.countSchedules({ namespace: 'default' });
  await connection.close();
  await server.stop();
  const commitsAfter = await xactCommits(pg.admin, pg.dbName);

  // A fresh server over the same database: what the idle schedules cost it after a restart.
  const again = await spawn(pg.url);
  await sleep(10_000);
  const rssRestart = rssMiB(again.proc.pid);
  const restartCpuPerSec = cpu(again.proc.pid) / 10;
  await again.stop();

  latencies.sort((a, b) => a - b);
  printTable(`Phase 1: ${SCHEDULES} schedules at rest (Postgres, ${CONCURRENCY} concurrent callers)`, [
    ['creation rate', `${(SCHEDULES / createSeconds).toFixed(0)} schedules/s`],
    ['CreateSchedule p50 / p99', `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}`],
    ['server CPU per create', ms(cpuCreate / SCHEDULES)],
    ['database commits per create (incl. one start-up)', ((commitsAfter - commitsBefore) / SCHEDULES).toFixed(2)],
    ['CountSchedules afterwards', String(Number(count.count))],
    ['server RSS before', mib(rssBefore)],
    [`server RSS with ${SCHEDULES} idle schedules, 5 s after creation`, mib(rssAfter)],
    [`server RSS with them, ${SETTLE_SECONDS} s after creation`, mib(rssSettled)],
    ['server RSS after a restart (10 s settled)', mib(rssRestart)],
    ['server CPU while idle', `${idleCpuPerSec.toFixed(1)} ms/s`],
    ['server CPU, first 10 s after restart', `${restartCpuPerSec.toFixed(1)} ms/s`],
  ]);
}

async function firing(pg: BenchPostgres): Promise<void> {
  await (await spawn(pg.url)).stop();
  const metricsPort = await freePort();
  const server = await spawn(pg.url, metricsPort);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const taskQueue = `bench-fire-${randomUUID()}`;
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    maxConcurrentWorkflowTaskExecutions: 200,
    maxConcurrentWorkflowTaskPolls: 20,
  });
  const running = worker.run();
  try {
    // Creation takes a while at scale: the range starts once every schedule exists.
    const ids = Array.from({ length: FIRING }, (_, i) => `fire-${i}`);
    const createStart = performance.now();
    // The range is fixed up front, far enough ahead for creation at phase 1's rate (with margin).
    const guessMs = 5_000 + (FIRING / measuredCreateRate) * 1_500;
    const start = new Date(Math.ceil((Date.now() + guessMs) / 1000) * 1000);
    const end = new Date(start.getTime() + (SECONDS - 1) * 1000);
    await pool(ids, CONCURRENCY, async (id) => {
      await client.schedule.create({
        scheduleId: id,
        spec: { intervals: [{ every: '1s' }], startAt: start, endAt: end },
        action: { type: 'startWorkflow', workflowType: 'quick', taskQueue, workflowId: `${id}-wf` },
        policies: { overlap: 'ALLOW_ALL' },
      });
    });
    const createdBy = Date.now();
    const createSeconds = (performance.now() - createStart) / 1000;
    if (createdBy > start.getTime()) console.log(`note: creating ${FIRING} schedules took ${createSeconds.toFixed(1)} s, past the first nominal time; early ticks count as late`);
    await sleep(Math.max(0, start.getTime() - Date.now() - 200));
    const commits0 = await xactCommits(pg.admin, pg.dbName);
    const engine0 = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const cpu0 = cpu(server.proc.pid);
    const pg0 = postgresSnapshot();

    const expected = FIRING * SECONDS;
    const countDone = async (): Promise<number> =>
      Number((await client.workflow.count(`TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`)).count);
    await sleep(Math.max(0, end.getTime() - Date.now()));
    const deadline = Date.now() + 120_000;
    let done = await countDone();
    while (done < expected && Date.now() < deadline) {
      await sleep(1_000);
      done = await countDone();
    }
    const windowSeconds = (Date.now() - start.getTime()) / 1000;
    const cpuUsed = cpu(server.proc.pid) - cpu0;
    const pgCpu = postgresCpuMs(pg0, postgresSnapshot());
    await sleep(1_000);
    const engine1 = await scrapeCounter(metricsPort, 'chasm_commits_total');

    // Lateness from visibility: start time minus the nominal time in the workflow id.
    const lateness: number[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    let lastStart = start.getTime();
    for await (const w of client.workflow.list({ query: `TaskQueue = '${taskQueue}'`, pageSize: 1000 })) {
      if (seen.has(w.workflowId)) duplicates++;
      seen.add(w.workflowId);
      const n = nominalMs(w.workflowId);
      if (n !== undefined) lateness.push(w.startTime.getTime() - n);
      lastStart = Math.max(lastStart, w.startTime.getTime());
    }
    const rss = rssMiB(server.proc.pid);
    const d = await client.schedule.getHandle(ids[0]!).describe();
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await server.stop();
    const commits1 = await xactCommits(pg.admin, pg.dbName);
    const actions = seen.size;
    lateness.sort((a, b) => a - b);
    printTable(`Phase 2: ${FIRING} schedules firing every second for ${SECONDS} s (Postgres, overlap ALLOW_ALL, one SDK worker)`, [
      ['schedules created in', `${createSeconds.toFixed(1)} s`],
      ['actions expected / started / completed', `${expected} / ${actions} / ${done}`],
      ['duplicate workflow ids', String(duplicates)],
      ['fire lateness p50', ms(percentile(lateness, 50))],
      ['fire lateness p99', ms(percentile(lateness, 99))],
      ['fire lateness max', ms(lateness[lateness.length - 1] ?? NaN)],
      ['actions started per second (first nominal time to last start)', (actions / Math.max(1, (lastStart - start.getTime()) / 1000)).toFixed(0)],
      ['window measured (CPU, commits)', `${windowSeconds.toFixed(0)} s`],
      ['database commits per action (incl. workflow run)', ((commits1 - commits0) / Math.max(1, actions)).toFixed(2)],
      ['engine commits per action (incl. workflow run)', ((engine1 - engine0) / Math.max(1, actions)).toFixed(2)],
      ['server CPU per action', ms(cpuUsed / Math.max(1, actions))],
      ['Postgres CPU per action', ms(pgCpu / Math.max(1, actions))],
      ['server RSS at the end', mib(rss)],
      [`schedule ${ids[0]} numActionsTaken`, String(d.info.numActionsTaken)],
    ]);
  } catch (e) {
    worker.shutdown();
    await running.catch(() => undefined);
    await server.kill9();
    throw e;
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  console.log(`scheduler bench: --schedules ${SCHEDULES} --firing ${FIRING} --seconds ${SECONDS} --concurrency ${CONCURRENCY}`);
  if (SCHEDULES > 0) await withBenchPostgres('chasm_sched_bench_rest', atRest);
  if (FIRING > 0 && SECONDS > 0) await withBenchPostgres('chasm_sched_bench_fire', firing);
}

runBench(main);
