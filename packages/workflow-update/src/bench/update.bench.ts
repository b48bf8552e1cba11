/**
 * Workflow Update benchmark, with the official SDK client and worker against the built server CLI
 * in a child process (matching, workflow, workflow-update loaded):
 *
 * - round trip: one `executeUpdate` at a time on a running workflow whose worker has it cached
 *   (admit → workflow task with the request → acceptance and response → answer), p50/p99;
 * - throughput: updates per second on one workflow with BENCH_UPDATE_CONCURRENCY callers (below
 *   the in-flight limit of 10, so nobody is refused);
 * - engine commits per update, from the server's `chasm_commits_total`, and the server's CPU
 *   time per update in the round-trip phase (from /proc);
 * - the SDK worker's own activation time per update, in the same run: client and worker talk to
 *   the server through a timing proxy in its own process (capture-proxy-process.ts), and each
 *   sequential update's round trip is split at the proxy into dispatch (update in → the worker's
 *   poll answered with the task), activation (poll answer → RespondWorkflowTaskCompleted in) and
 *   answer (completion in → update answered); round trip − activation is the server's share
 *   (issue 16's target: p50 at most 3 ms). BENCH_UPDATE_PROXY=0 connects directly (no split);
 * - BENCH_UPDATE_SPECULATIVE=0 runs with `speculativeTasks: false` (every step written, the way
 *   before ADR 0034) for comparison.
 *
 *   node packages/workflow-update/dist/bench/update.bench.js      (pnpm bench update)
 *   BENCH_BACKENDS=pglite|postgres  BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
 *   BENCH_UPDATES=1000  BENCH_UPDATE_CONCURRENCY=8
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { metricsDelta, percentile, processCpuMs, runBench, scrapeCounter, scrapeMetrics, withBenchPostgres } from '@chasm/core/testing';
import { freePort, spawnServer, type ChildDatabase } from '../testing/server-process.js';
import type { CallTiming } from './capture-proxy-process.js';
import { p50p99, updateTimeline, type UpdateTimeline } from './update-timeline.js';

const N = Number(process.env['BENCH_UPDATES'] ?? 1_000);
const CONCURRENCY = Number(process.env['BENCH_UPDATE_CONCURRENCY'] ?? 8);
const WARMUP = 50;
const SPECULATIVE = process.env['BENCH_UPDATE_SPECULATIVE'] !== '0';
const PROXY = process.env['BENCH_UPDATE_PROXY'] !== '0';

const ms = (n: number): string => `${n.toFixed(2)} ms`;

interface Result {
  readonly backend: string;
  readonly p50: number;
  readonly p99: number;
  readonly commitsPerUpdate: number;
  readonly serverCpuMs: number;
  readonly perSecond: number;
  readonly loadedP50: number;
  readonly loadedP99: number;
  readonly timeline?: UpdateTimeline;
  /** How the sequential updates' speculative tasks reached the worker (workflow_speculative_task_total by outcome). */
  readonly speculative: Record<string, number>;
}

/** The timing proxy's process, listening in front of `upstream`. */
interface TimingProxy {
  readonly address: string;
  dump(): Promise<CallTiming[]>;
  stop(): Promise<void>;
}

async function startTimingProxy(upstream: string): Promise<TimingProxy> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./capture-proxy-process.js', import.meta.url)), [upstream], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(key: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && key in m) {
          child.off('message', onMessage);
          child.off('exit', reject);
          resolve((m as Record<string, T>)[key] as T);
        }
      };
      child.on('message', onMessage);
      child.once('exit', reject);
    });
  const address = await next<string>('address');
  return {
    address,
    dump: () => {
      const answer = next<CallTiming[]>('calls');
      child.send('dump');
      return answer;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

async function run(backend: string, database: ChildDatabase, bundle: WorkflowBundleWithSourceMap): Promise<Result> {
  const port = await freePort();
  const metricsPort = await freePort();
  const server = await spawnServer({ database, port, metricsPort, settings: { 'workflow-update': { speculativeTasks: SPECULATIVE } } });
  const proxy = PROXY ? await startTimingProxy(server.address) : undefined;
  const address = proxy?.address ?? server.address;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address });
  const taskQueue = `bench-upd-${randomUUID()}`;
  const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
  const running = worker.run();
  try {
    const h = await client.workflow.start('counter', { workflowId: `bench-${randomUUID()}`, taskQueue });
    for (let i = 0; i < WARMUP; i++) await h.executeUpdate('add', { args: [1] });

    // Round trip, one at a time.
    await proxy?.dump(); // forget the warm-up's calls
    const commitsBefore = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const metricsBefore = await scrapeMetrics(metricsPort);
    const cpu0 = processCpuMs(server.proc.pid);
    const rtt: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await h.executeUpdate('add', { args: [1] });
      rtt.push(performance.now() - t0);
    }
    const cpu1 = processCpuMs(server.proc.pid);
    const commitsAfter = await scrapeCounter(metricsPort, 'chasm_commits_total');
    const speculative = Object.fromEntries(
      Object.entries(metricsDelta(metricsBefore, await scrapeMetrics(metricsPort), 'workflow_speculative_task_total')).map(([k, v]) => [/outcome="([^"]*)"/.exec(k)?.[1] ?? k, v]),
    );
    const timeline = proxy ? updateTimeline(await proxy.dump()) : undefined;

    // Throughput on one workflow with concurrent callers: a fresh run, because a run admits at
    // most 2,000 updates (history.maxTotalUpdates) and the phase above used N + WARMUP of them.
    await h.signal('finish');
    await h.result();
    const h2 = await client.workflow.start('counter', { workflowId: `bench-${randomUUID()}`, taskQueue });
    await h2.executeUpdate('add', { args: [1] });
    const loaded: number[] = [];
    let next = 0;
    const first = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < N) {
          const t0 = performance.now();
          await h2.executeUpdate('add', { args: [1] });
          loaded.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - first) / 1000;
    await h2.signal('finish');
    await h2.result();
    rtt.sort((a, b) => a - b);
    loaded.sort((a, b) => a - b);
    return {
      backend,
      p50: percentile(rtt, 50),
      p99: percentile(rtt, 99),
      commitsPerUpdate: (commitsAfter - commitsBefore) / N,
      serverCpuMs: cpu0 && cpu1 ? (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / N : NaN,
      perSecond: N / seconds,
      loadedP50: percentile(loaded, 50),
      loadedP99: percentile(loaded, 99),
      ...(timeline ? { timeline } : {}),
      speculative,
    };
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await proxy?.stop();
    await server.stop();
  }
}

function print(r: Result): void {
  console.log(
    `${r.backend}${SPECULATIVE ? '' : ' [speculativeTasks: false]'}: update round trip p50 ${ms(r.p50)} p99 ${ms(r.p99)} (${N} sequential, warm worker cache); ` +
      `engine commits/update ${r.commitsPerUpdate.toFixed(2)}; server CPU/update ${ms(r.serverCpuMs)}; ` +
      `${r.perSecond.toFixed(0)} updates/s on one workflow with ${CONCURRENCY} concurrent callers (p50 ${ms(r.loadedP50)} p99 ${ms(r.loadedP99)}); ` +
      `speculative tasks ${JSON.stringify(r.speculative)}`,
  );
  const t = r.timeline;
  if (!t) return;
  // p50/p99 of each part, at the proxy, over the sequential updates it could split.
  console.log(
    `  at the proxy (${t.matched}/${N} split): round trip ${p50p99(t.roundTrip)}; SDK worker activation ${p50p99(t.activation)}; ` +
      `server's share (round trip − activation) ${p50p99(t.serverShare)} = dispatch (update in → poll answered) ${p50p99(t.dispatch)} ` +
      `+ answer (completion in → update answered) ${p50p99(t.answer)}; completion answered in ${p50p99(t.completion)}`,
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const backends = process.env['BENCH_BACKENDS'] ?? 'pglite,postgres';
  if (backends.includes('pglite')) print(await run('PGlite (in memory)', { kind: 'pglite' }, bundle));
  if (!backends.includes('postgres')) return;
  await withBenchPostgres('chasm_upd_bench', async ({ url }) => {
    print(await run('Postgres (localhost)', { kind: 'postgres', url }, bundle));
  });
}

runBench(main);
