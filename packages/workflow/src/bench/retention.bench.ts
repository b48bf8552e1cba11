/**
 * Retention benchmark: what closed hello-activity workflows cost the embedded store. A server
 * (matching + workflow, PGlite in memory) runs in this process with an SDK worker; waves of
 * workflows run to completion in a namespace with the given retention, and after each wave the
 * database size (`pg_database_size`, which for in-memory PGlite is memory) and the process RSS
 * are sampled. Without retention the database grows with every workflow; with a short one (and
 * the periodic VACUUM the runtime runs on PGlite) it levels off.
 *
 *   node packages/workflow/dist/bench/retention.bench.js        (pnpm bench retention)
 *   BENCH_RETENTION_S=1 (0: the 1-day default, nothing deleted during the run)
 *   BENCH_VACUUM=0 (no VACUUM at all: how the store behaved before PGliteVacuum)
 *   BENCH_WAVES=6 BENCH_WAVE_SIZE=100 BENCH_CONCURRENCY=20
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { PGliteVacuum, TOKENS, type Database } from '@chasm/core';
import { pool, runBench } from '@chasm/core/testing';
import { long, matchingPlugin } from '@chasm/matching';
import { startTestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '../plugin.js';

const RETENTION_S = Number(process.env['BENCH_RETENTION_S'] ?? 1);
const WAVES = Number(process.env['BENCH_WAVES'] ?? 6);
const WAVE_SIZE = Number(process.env['BENCH_WAVE_SIZE'] ?? 100);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 20);
const VACUUM = process.env['BENCH_VACUUM'] !== '0';

const MiB = 1024 * 1024;

async function dbBytes(database: Database): Promise<number> {
  const row = (await database.db
    .selectNoFrom((eb) => eb.fn<number>('pg_database_size', [eb.fn('current_database', [])]).as('n'))
    .executeTakeFirstOrThrow()) as { n: number | string };
  return Number(row.n);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./bench-workflows.js', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const server = await startTestServer({
    plugins: [matchingPlugin, workflowPlugin],
    database: VACUUM ? { kind: 'pglite' } : { kind: 'pglite', vacuumIntervalMs: 0 },
  });
  const database = server.container.get<Database>(TOKENS.Database);
  // Vacuum right before each sample, so samples compare live data rather than vacuum timing.
  const vacuum = new PGliteVacuum(database);
  const connection = await Connection.connect({ address: server.address });
  const namespace = 'retention-bench';
  await connection.workflowService.registerNamespace(
    RETENTION_S > 0 ? { namespace, workflowExecutionRetentionPeriod: { seconds: long(RETENTION_S) } } : { namespace },
  );
  const client = new Client({ connection, namespace });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await Worker.create({
    connection: native,
    namespace,
    taskQueue,
    workflowBundle: bundle,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
  });
  const running = worker.run();
  console.log(`retention ${RETENTION_S > 0 ? `${RETENTION_S} s` : '1 day (default)'}, VACUUM ${VACUUM ? 'on' : 'off'}; ${WAVES} waves of ${WAVE_SIZE} hello-activity workflows`);
  const sample = async (label: string): Promise<number> => {
    if (VACUUM) await vacuum.vacuum();
    const bytes = await dbBytes(database);
    console.log(`${label}: database ${(bytes / MiB).toFixed(1)} MiB, RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`);
    return bytes;
  };
  const samples = [await sample('wave 0')];
  const started = Date.now();
  for (let w = 1; w <= WAVES; w++) {
    await pool(
      Array.from({ length: WAVE_SIZE }, (_, i) => i),
      CONCURRENCY,
      async (i) => {
        await client.workflow.execute('helloActivity', { taskQueue, workflowId: `w${w}-${i}`, args: ['bench'] });
      },
    );
    // Let the last wave's retention pass, so "kept" is what retention keeps in a steady state.
    if (RETENTION_S > 0) await new Promise((r) => setTimeout(r, RETENTION_S * 1000 + 1000));
    const { count } = await client.workflow.count();
    samples.push(await sample(`wave ${w}: ${w * WAVE_SIZE} closed, ${count} kept, ${((Date.now() - started) / 1000).toFixed(0)} s`));
  }
  const growth = samples[WAVES]! - samples[1]!;
  console.log(`database growth from wave 1 to ${WAVES}: ${(growth / ((WAVES - 1) * WAVE_SIZE) / 1024).toFixed(1)} KiB per closed workflow`);
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
  await server.stop();
}

runBench(main);
