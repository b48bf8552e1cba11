/**
 * StartWorkflowExecution rate (issue 16): no worker, raw gRPC callers sending pre-encoded
 * requests, so the client costs next to nothing and the server (and its database) is what is
 * measured. Each caller sends its next request as soon as the previous one is answered.
 *
 *   node packages/workflow/dist/bench/start-rate.bench.js          (pnpm bench start-rate)
 *   BENCH_CALLERS=50   BENCH_STARTS=3000 (measured, after 300 unmeasured)
 *   BENCH_TARGETS=pglite,postgres   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
 *
 * Prints starts/s, latency p50/p99, and CPU per start of the server (from /proc) and of the
 * Postgres backends serving the bench database, and from the server's metrics the database
 * round trips, write calls (`chasm_write` statements) and writes per start. The workflow tasks
 * the starts schedule pile up in the task queue's backlog, as they would with no worker running.
 *
 * BENCH_EXECUTION_CACHE=N bounds our server's execution cache (default 10,000): with more starts
 * than that in a start guard's 10 s, the guards of evicted runs each load their run (and, before
 * ADR 0067, committed and offered their task again).
 *
 * BENCH_BASELINE_ROOT=/work/main runs the server built in another checkout (same paths below
 * it), so that two builds are compared by one bench in the same minutes.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { sql } from 'kysely';
import {
  percentile,
  pool,
  postgresCpuMs,
  postgresSnapshot,
  processCpuMs,
  runBench,
  settledMetrics,
  spawnServerProcess,
  withBenchPostgres,
  type BenchPostgres,
} from '@chasm/core/testing';
import { api } from '../proto.js';
import { freePort, spawnServer, type ChildDatabase, type ServerProcess } from '../testing/server-process.js';
import { pluginPath, RUNTIME_CLI } from '@chasm/runtime/testing';

const CALLERS = Number(process.env['BENCH_CALLERS'] ?? 50);
const STARTS = Number(process.env['BENCH_STARTS'] ?? 3000);
const WARMUP = Math.max(CALLERS * 2, 300);
const TARGETS = process.env['BENCH_TARGETS'] ?? 'pglite,postgres';
const PATH = '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution';
const Request = api.workflowservice.v1.StartWorkflowExecutionRequest;
const BASELINE = process.env['BENCH_BASELINE_ROOT'];
/** The server's execution cache bound (runtime config `executionCache.maxExecutions`; default 10,000). */
const CACHE = process.env['BENCH_EXECUTION_CACHE'];
/** This checkout's root (dist/bench → packages/workflow → packages → root). */
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');

function startServer(database: ChildDatabase, port: number, metricsPort: number): Promise<ServerProcess> {
  const extraConfig = CACHE === undefined ? undefined : { executionCache: { maxExecutions: Number(CACHE) } };
  if (BASELINE === undefined) return spawnServer({ database, port, metricsPort, logLevel: 'error', ...(extraConfig ? { extraConfig } : {}) });
  const there = (path: string): string => (path.startsWith(ROOT) ? BASELINE + path.slice(ROOT.length) : path);
  const packages = ['@chasm/matching', '@chasm/workflow'].map((p) => there(pluginPath(p, import.meta.url)));
  return spawnServerProcess({ cli: there(RUNTIME_CLI), database, port, metricsPort, packages, logLevel: 'error', ...(extraConfig ? { extraConfig } : {}) });
}

/** Requests encoded before the clock starts: the callers only send bytes. */
function encodedStarts(n: number, taskQueue: string): Buffer[] {
  const input = api.common.v1.Payloads.encode({
    payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }],
  }).finish();
  const payloads = api.common.v1.Payloads.decode(input);
  return Array.from({ length: n }, () =>
    Buffer.from(
      Request.encode({
        namespace: 'default',
        workflowId: `start-${randomUUID()}`,
        workflowType: { name: 'helloActivity' },
        taskQueue: { name: taskQueue },
        input: payloads,
        identity: 'start-rate-bench',
        requestId: randomUUID(),
      }).finish(),
    ),
  );
}

function send(client: Client, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (err: ServiceError | null) => (err ? reject(err) : resolve()),
    );
  });
}

async function backendTicks(pg: BenchPostgres): Promise<Map<number, number>> {
  const r = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = ${pg.dbName}`.execute(pg.admin.db);
  const pids = new Set(r.rows.map((x) => Number(x.pid)));
  return new Map([...postgresSnapshot()].filter(([pid]) => pids.has(pid)));
}

async function measure(name: string, database: ChildDatabase, pg?: BenchPostgres): Promise<string> {
  const port = await freePort();
  const metricsPort = await freePort();
  const server = await startServer(database, port, metricsPort);
  // One HTTP/2 connection per 10 callers, as a fleet of clients would open.
  const clients = Array.from({ length: Math.max(1, Math.ceil(CALLERS / 10)) }, (_, i) =>
    new Client(server.address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'bench.channel': i }),
  );
  try {
    const taskQueue = `start-rate-${randomUUID()}`;
    const run = async (requests: Buffer[], latencies: number[] | undefined): Promise<void> => {
      await pool(requests.map((r, i) => [r, i] as const), CALLERS, async ([bytes, i]) => {
        const t0 = performance.now();
        await send(clients[i % clients.length]!, bytes);
        latencies?.push(performance.now() - t0);
      });
    };
    await run(encodedStarts(WARMUP, taskQueue), undefined);
    const requests = encodedStarts(STARTS, taskQueue);
    const latencies: number[] = [];
    const m0 = await settledMetrics(metricsPort);
    const cpuServer0 = processCpuMs(server.proc.pid);
    const pg0 = pg ? await backendTicks(pg) : undefined;
    const t0 = performance.now();
    await run(requests, latencies);
    const seconds = (performance.now() - t0) / 1000;
    // The dispatch of each start's first workflow task (the backlog write) may still run: wait
    // for the counters to settle so that its CPU and round trips are charged to the starts. With
    // more starts than the cache holds, the start guards that run after the last start are
    // charged too (up to 10 s of them, loads and, before ADR 0067, commits): a long settle.
    const m1 = await settledMetrics(metricsPort, 120_000);
    const cpuServer1 = processCpuMs(server.proc.pid);
    const pg1 = pg ? await backendTicks(pg) : undefined;
    latencies.sort((a, b) => a - b);
    const serverMs = cpuServer0 && cpuServer1 ? cpuServer1.user + cpuServer1.system - cpuServer0.user - cpuServer0.system : NaN;
    const pgMs = pg0 && pg1 ? postgresCpuMs(pg0, pg1) : NaN;
    const per = (ms: number): string => (Number.isNaN(ms) ? '–' : (ms / STARTS).toFixed(2));
    const d = (series: string): number => (m1.get(series) ?? 0) - (m0.get(series) ?? 0);
    const counts = [d('chasm_db_round_trips_total'), d('chasm_store_write_calls_total'), d('chasm_store_writes_total')].map((n) => per(n)).join(' / ');
    return `| ${name}${BASELINE === undefined ? '' : ` (${BASELINE})`} | ${CALLERS} | ${STARTS} | ${(STARTS / seconds).toFixed(0)} | ${percentile(latencies, 50).toFixed(1)} / ${percentile(latencies, 99).toFixed(1)} | ${per(serverMs)} / ${per(pgMs)} | ${counts} |`;
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  console.log(`start-rate bench: ${CALLERS} callers, ${STARTS} starts (after ${WARMUP} unmeasured), no worker`);
  const rows: string[] = [];
  if (TARGETS.includes('pglite')) rows.push(await measure('ours, PGlite (in memory)', { kind: 'pglite' }));
  if (TARGETS.includes('postgres')) {
    await withBenchPostgres('chasm_start_bench', async (pg) => {
      rows.push(await measure('ours, Postgres', { kind: 'postgres', url: pg.url }, pg));
    });
  }
  console.log('\n| Target | Callers | Starts | Starts/s | Latency p50 / p99 ms | CPU ms/start: server / Postgres | Per start: DB round trips / write calls / writes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

runBench(main);
