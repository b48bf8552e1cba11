/**
 * Engine benchmark: reference-component updates per second through the full engine (lock,
 * cached execution, transaction, byte-diff, one fenced commit), on PGlite and on Postgres.
 * Prints throughput, latency percentiles, CPU per update and database commits per update.
 *
 *   node packages/chasm-core/dist/bench/engine.bench.js [--updates N] [--concurrency C]
 */
import { parseArgs } from 'node:util';
import { ChasmEngine } from '../engine/chasm-engine.js';
import { createPostgresDatabase, dropPostgresDatabase, openDatabase, type Database } from '../persistence/database.js';
import { KyselyExecutionStore } from '../persistence/kysely-execution-store.js';
import { Registry } from '../registry/registry.js';
import { createStore, referenceLibrary, storeTarget } from '../testing/reference/index.js';
import { fmt, percentiles, sleep, xactCommit } from './bench-util.js';

const { values } = parseArgs({ options: { updates: { type: 'string' }, concurrency: { type: 'string' } } });
const UPDATES = Number(values.updates ?? 6000);
const CONCURRENCY = Number(values.concurrency ?? 50);
const NS = 'bench';

type Open = () => Promise<Database>;

async function newEngine(database: Database): Promise<ChasmEngine> {
  const registry = new Registry();
  registry.register(referenceLibrary);
  const store = await KyselyExecutionStore.open(database, { shardCount: 4 });
  const engine = new ChasmEngine({ store, registry });
  await engine.startup();
  return engine;
}

/**
 * Postgres counts a commit when a backend publishes its stats (lazily, or when it exits), so the
 * measured phase runs on its own connection pool, closed before the counter is read. The count
 * includes everything the engine does: the reads that warm its cache and the shard leases.
 */
async function runOn(name: string, open: Open, pgUrl?: string): Promise<void> {
  let database = await open();
  let engine = await newEngine(database);
  // One execution per concurrent client, so updates contend on the database, not on one lock.
  for (let c = 0; c < CONCURRENCY; c++) await createStore(engine, NS, `store-${c}`);
  await sleep(300); // let the creations' visibility tasks settle
  if (pgUrl) {
    await engine.shutdown();
    await database.close();
    await sleep(300);
    database = await open();
  }
  const before = pgUrl ? await xactCommit(pgUrl) : 0;
  if (pgUrl) engine = await newEngine(database);

  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, c) => {
      while (next < UPDATES) {
        next++;
        const s = performance.now();
        await engine.update(storeTarget(NS, `store-${c}`), (st) => void st.state.firedTotal++);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await engine.shutdown();
  await database.close();
  await sleep(300);
  const after = pgUrl ? await xactCommit(pgUrl) : 0;
  const p = percentiles(latencies);
  const line = [
    `${name.padEnd(9)} updates=${latencies.length} concurrency=${CONCURRENCY}`,
    `throughput=${fmt(latencies.length / elapsed, 0)}/s`,
    `latency p50=${fmt(p.p50, 2)}ms p99=${fmt(p.p99, 2)}ms`,
    `node-cpu/update=${fmt((cpu.user + cpu.system) / 1000 / latencies.length, 3)}ms`,
    // -1: the `before` read is itself a transaction.
    pgUrl ? `db-commits/update=${fmt((after - before - 1) / latencies.length, 3)}` : 'db-commits/update=n/a (PGlite)',
  ];
  console.log(line.join('  '));
}

async function main(): Promise<void> {
  console.log(`engine bench: ${UPDATES} updates of the reference store, ${CONCURRENCY} concurrent clients (${new Date().toISOString()})`);
  await runOn('pglite', () => openDatabase({ kind: 'pglite' }));

  const base = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `chasm_bench_engine_${Date.now().toString(36)}`;
  try {
    const url = await createPostgresDatabase(base, dbName);
    await runOn('postgres', () => openDatabase({ kind: 'postgres', url, poolSize: 20 }), url);
    await dropPostgresDatabase(base, dbName);
  } catch (e) {
    console.log(`postgres   skipped: ${(e as Error).message}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
