/**
 * Namespace isolation benchmark (issue 15): namespace B runs hello-activity workflows at a steady
 * load with the official SDK client and worker; its end-to-end latency (start to result) is
 * measured quiet, then while namespace A floods StartWorkflowExecution at 10× its quota from
 * another process. A's excess is refused RESOURCE_EXHAUSTED (RPS_LIMIT, NAMESPACE); B's p99 should
 * stay within 2× of its quiet p99.
 *
 *   node packages/workflow/dist/bench/namespace-isolation.bench.js     (pnpm bench namespace-isolation)
 *   BENCH_SECONDS=20 BENCH_B_CONCURRENCY=10 BENCH_A_QUOTA=10 BENCH_BACKENDS=pglite|postgres
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { percentile, runBench, withBenchPostgres } from '@chasm/core/testing';
import { freePort, spawnServer, type ChildDatabase } from '../testing/server-process.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const B_CONCURRENCY = Number(process.env['BENCH_B_CONCURRENCY'] ?? 10);
const A_QUOTA = Number(process.env['BENCH_A_QUOTA'] ?? 10);
const RESOURCE_EXHAUSTED = 8;

const ms = (n: number): string => `${n.toFixed(1)} ms`;

/** The flooder (run in its own process): StartWorkflowExecution in `namespace` at `rps` for `seconds`, no retries. */
async function flood(address: string, namespace: string, rps: number, seconds: number): Promise<void> {
  const connection = await Connection.connect({ address, interceptors: [] });
  const counts = { ok: 0, rpsLimit: 0, other: 0 };
  const end = performance.now() + seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  // Sends in 20 ms ticks, each with the calls the rate owes so far: a steady rate, not bursts.
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() < end) {
    const owed = Math.floor(((performance.now() - t0) / 1000) * rps) - sent;
    for (let i = 0; i < owed; i++) {
      sent++;
      const p = connection.workflowService
        .startWorkflowExecution({ namespace, workflowId: `flood-${randomUUID()}`, workflowType: { name: 'helloActivity' }, taskQueue: { name: 'flood-nobody-polls' }, requestId: randomUUID() })
        .then(
          () => void counts.ok++,
          (e: { code?: number; metadata?: { get?(k: string): unknown[] } }) => {
            if (e.code === RESOURCE_EXHAUSTED) counts.rpsLimit++;
            else counts.other++;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(inFlight);
  await connection.close();
  process.stdout.write(JSON.stringify({ sent, ...counts }) + '\n');
}

/** B's steady load: `B_CONCURRENCY` callers running hello-activity back to back for `seconds`. */
async function steadyLoad(client: Client, taskQueue: string, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: B_CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await client.workflow.execute('helloActivity', { workflowId: `b-${randomUUID()}`, taskQueue, args: ['b'] });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

async function run(backend: string, database: ChildDatabase, bundle: WorkflowBundleWithSourceMap): Promise<void> {
  const port = await freePort();
  const server = await spawnServer({
    database,
    port,
    extraConfig: { namespaces: ['default', { name: 'flood', rps: A_QUOTA, burst: A_QUOTA }] },
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `isolation-${randomUUID()}`;
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
  });
  const running = worker.run();
  try {
    await steadyLoad(client, taskQueue, 3); // warm-up
    const quiet = await steadyLoad(client, taskQueue, SECONDS);
    const flooder = spawn(process.execPath, [fileURLToPath(import.meta.url), 'flood', server.address, 'flood', String(A_QUOTA * 10), String(SECONDS + 2)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    flooder.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((r) => flooder.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000)); // the flood is under way
    const flooded = await steadyLoad(client, taskQueue, SECONDS);
    await exited;
    const a = JSON.parse(out.trim() || '{}') as { sent?: number; ok?: number; rpsLimit?: number; other?: number };
    const q99 = percentile(quiet, 99);
    const f99 = percentile(flooded, 99);
    console.log(
      `${backend}: B hello-activity (${B_CONCURRENCY} callers, ${SECONDS} s per phase): quiet ${quiet.length} workflows p50 ${ms(percentile(quiet, 50))} p99 ${ms(q99)}; ` +
        `A flooding at ${A_QUOTA * 10}/s (quota ${A_QUOTA}/s): ${flooded.length} workflows p50 ${ms(percentile(flooded, 50))} p99 ${ms(f99)}; ` +
        `p99 ratio ${(f99 / q99).toFixed(2)}; A sent ${a.sent}, accepted ${a.ok}, refused RESOURCE_EXHAUSTED ${a.rpsLimit}, other errors ${a.other}`,
    );
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const backends = process.env['BENCH_BACKENDS'] ?? 'pglite';
  if (backends.includes('pglite')) await run('PGlite (in memory)', { kind: 'pglite' }, bundle);
  if (!backends.includes('postgres')) return;
  await withBenchPostgres('chasm_isolation_bench', async ({ url }) => {
    await run('Postgres', { kind: 'postgres', url }, bundle);
  });
}

if (process.argv[2] === 'flood') {
  const [, , , address, namespace, rps, seconds] = process.argv;
  flood(address ?? '', namespace ?? 'flood', Number(rps), Number(seconds)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else {
  runBench(main);
}
