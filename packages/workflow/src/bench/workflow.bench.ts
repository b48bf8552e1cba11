/**
 * Workflow benchmark (issue 16): hello-activity workflows (start → workflow task → activity →
 * workflow task → completed) end to end with the official SDK, on our server (PGlite in memory,
 * Postgres) and on the zero-cost fake server when it is there, interleaved in one run, at 1, 50
 * and 200 concurrent callers.
 *
 *   node packages/workflow/dist/bench/workflow.bench.js          (pnpm bench workflow)
 *   BENCH_QUICK=1            fewer workflows per level (a few minutes in all)
 *   BENCH_CALLERS=1,50,200   BENCH_WORKFLOWS=N (every level)   BENCH_ROUNDS=1
 *   BENCH_TARGETS=fake,pglite,postgres   BENCH_FAKE_SERVER=dir   BENCH_RPCS=1
 *   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres
 *   BENCH_SERVER_SETTINGS='{"workflow":{"lazyStickyStart":false}}'   (our server's per-plugin settings, for A/B runs)
 *
 * Every target is a server child process with its own SDK worker process (as users run it),
 * started once and kept warm; each round's callers run in a fresh client process. CPU per
 * workflow is charged per process over the measured phase: the client's own `cpuUsage`, the
 * worker and server from /proc, Postgres as the backends serving the bench's database (shared
 * background processes such as the WAL writer are not counted, nor are other databases' users
 * of the same instance). Engine commits, database round trips and transactions (and which of
 * them wrote) and RPCs come from our server's metrics (`chasm_commits_total`, `chasm_db_*`,
 * `service_requests`), counted by the server itself: Postgres' `xact_commit` counts read-only
 * transactions too and is flushed lazily by long-lived backends.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import {
  costPer,
  postgresSnapshot,
  processCpuMs,
  runBench,
  settledMetrics,
  withBenchPostgres,
  type BenchPostgres,
} from '@chasm/core/testing';
import { freePort, spawnServer, type ChildDatabase } from '../testing/server-process.js';
import { exited, runClientProcess, startWorkerProcess, tell, waitForPort } from './bench-processes.js';
import { findFakeServer, prepareFakeServer, startFakeServer } from './fake-server.js';
import { rpcBreakdown, table, type Measurement } from './bench-report.js';

const QUICK = process.env['BENCH_QUICK'] === '1';
const LEVELS = (process.env['BENCH_CALLERS'] ?? '1,50,200').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 1);
const TARGETS = process.env['BENCH_TARGETS'] ?? 'fake,pglite,postgres';
const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

/** Workflows measured at a level: enough for a stable rate, bounded for a loaded machine. */
function workflowsAt(callers: number): number {
  const fixed = process.env['BENCH_WORKFLOWS'];
  if (fixed !== undefined) return Number(fixed);
  return QUICK ? Math.max(50, callers * 4) : Math.max(200, callers * 20);
}
/** Unmeasured workflows first: every caller runs at least one (connections, sticky cache). */
const warmupAt = (callers: number): number => (QUICK ? Math.max(10, callers) : Math.max(20, callers * 2));

interface Target {
  readonly name: string;
  readonly fake: boolean;
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly server: ChildProcess;
  readonly worker: ChildProcess;
  readonly metricsPort?: number;
  readonly postgres?: BenchPostgres;
  stop(): Promise<void>;
}

async function withWorker(
  base: Omit<Target, 'worker' | 'taskQueue' | 'stop'>,
  bundleFile: string,
  stopServer: () => Promise<void>,
): Promise<Target> {
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await startWorkerProcess({ address: base.address, namespace: base.namespace, taskQueue, bundleFile });
  return {
    ...base,
    taskQueue,
    worker,
    async stop() {
      tell(worker, { kind: 'stop' });
      await exited(worker);
      await stopServer();
    },
  };
}

async function startOurs(name: string, database: ChildDatabase, bundleFile: string, postgres?: BenchPostgres): Promise<Target> {
  const port = await freePort();
  const metricsPort = await freePort();
  const settings = process.env['BENCH_SERVER_SETTINGS'];
  const server = await spawnServer({ database, port, metricsPort, ...(settings ? { settings: JSON.parse(settings) as Record<string, unknown> } : {}) });
  return withWorker(
    { name, fake: false, address: server.address, namespace: 'default', server: server.proc, metricsPort, ...(postgres ? { postgres } : {}) },
    bundleFile,
    () => server.stop(),
  );
}

async function startFake(dir: string, bundleFile: string): Promise<Target> {
  const port = await freePort();
  const proc = startFakeServer(dir, port);
  await waitForPort(port, proc);
  return withWorker({ name: 'fake (zero-cost)', fake: true, address: `127.0.0.1:${port}`, namespace: 'default', server: proc }, bundleFile, async () => {
    proc.kill('SIGTERM');
    await exited(proc);
  });
}

/** The pids of the backends connected to the bench database (they serve our server's pool). */
async function backendPids(pg: BenchPostgres): Promise<Set<number>> {
  const r = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = ${pg.dbName}`.execute(pg.admin.db);
  return new Set(r.rows.map((x) => Number(x.pid)));
}

async function postgresTicks(pg: BenchPostgres): Promise<Map<number, number>> {
  const pids = await backendPids(pg);
  const all = postgresSnapshot();
  return new Map([...all].filter(([pid]) => pids.has(pid)));
}

const cpu = (p: ChildProcess): number => {
  const c = processCpuMs(p.pid);
  return c ? c.user + c.system : NaN;
};

async function measure(t: Target, callers: number, round: number): Promise<Measurement> {
  const workflows = workflowsAt(callers);
  let before: { worker: number; server: number; pg?: Map<number, number>; metrics?: Map<string, number> } | undefined;
  const client = await runClientProcess(
    { address: t.address, namespace: t.namespace, taskQueue: t.taskQueue, callers, warmup: warmupAt(callers), workflows },
    async () => {
      // The warm-up's trailing work (visibility) settles before the snapshot.
      const metrics = t.metricsPort !== undefined ? await settledMetrics(t.metricsPort) : undefined;
      before = { worker: cpu(t.worker), server: cpu(t.server), ...(t.postgres ? { pg: await postgresTicks(t.postgres) } : {}), ...(metrics ? { metrics } : {}) };
    },
  );
  const worker = cpu(t.worker);
  const server = cpu(t.server);
  const pgAfter = t.postgres ? await postgresTicks(t.postgres) : undefined;
  const after = t.metricsPort !== undefined ? await settledMetrics(t.metricsPort) : undefined;
  const b = before!;
  let postgres: number | undefined;
  if (pgAfter && b.pg) {
    postgres = 0;
    for (const [pid, ticks] of pgAfter) postgres += (ticks - (b.pg.get(pid) ?? 0)) * 10;
  }
  return {
    target: t.name,
    round,
    fake: t.fake,
    callers,
    workflows,
    client,
    cpuMs: { worker: worker - b.worker, server: server - b.server, ...(postgres !== undefined ? { postgres } : {}) },
    ...(after && b.metrics ? { cost: costPer(b.metrics, after, workflows, true) } : {}),
  };
}

async function runAll(bundleFile: string, postgres: BenchPostgres | undefined): Promise<void> {
  const targets: Target[] = [];
  try {
    const fakeSource = TARGETS.includes('fake') ? findFakeServer(REPO_ROOT) : undefined;
    if (fakeSource) {
      // Without it (no registry to install its deps from, say) the bench still measures ours.
      let dir: string | undefined;
      try {
        dir = prepareFakeServer(fakeSource);
      } catch (e) {
        console.log(`fake server: ${(e as Error).message}; no ratios`);
      }
      if (dir !== undefined) targets.push(await startFake(dir, bundleFile));
    } else if (TARGETS.includes('fake')) console.log('fake server: not found beside the repository or a folder above it (shared/bench/fake-server; BENCH_FAKE_SERVER=dir); no ratios');
    if (TARGETS.includes('pglite')) targets.push(await startOurs('ours, PGlite (in memory)', { kind: 'pglite' }, bundleFile));
    if (postgres) targets.push(await startOurs('ours, Postgres', { kind: 'postgres', url: postgres.url }, bundleFile, postgres));
    const results: Measurement[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, callers] of LEVELS.entries()) {
        // Interleaved, and each level starts with a different target so none is always first.
        const order = targets.map((_, k) => targets[(k + i + round - 1) % targets.length]!);
        for (const t of order) {
          const m = await measure(t, callers, round);
          results.push(m);
          console.log(`measured: ${t.name}, ${callers} callers, ${m.workflows} workflows in ${m.client.seconds.toFixed(1)} s`);
        }
      }
    }
    const order = (m: Measurement): number => targets.findIndex((t) => t.name === m.target);
    results.sort((a, b) => a.round - b.round || a.callers - b.callers || order(a) - order(b));
    console.log(`\n${table(results)}`);
    if (process.env['BENCH_RPCS']) for (const m of results) if (m.cost) console.log(rpcBreakdown(m));
  } finally {
    for (const t of targets) await t.stop();
  }
}

async function main(): Promise<void> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const bundleFile = join(mkdtempSync(join(tmpdir(), 'chasm-wf-bench-')), 'bundle.js');
  writeFileSync(bundleFile, bundle.code);
  console.log(`workflow bench: callers ${LEVELS.join(', ')}; workflows ${LEVELS.map(workflowsAt).join(', ')}${QUICK ? ' (quick)' : ''}; ${ROUNDS} round(s)`);
  if (!TARGETS.includes('postgres')) return runAll(bundleFile, undefined);
  let ran = false;
  await withBenchPostgres('chasm_wf_bench', async (pg) => {
    ran = true;
    await runAll(bundleFile, pg);
  });
  if (!ran) await runAll(bundleFile, undefined);
}

runBench(main);
