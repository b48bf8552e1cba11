/**
 * Write replay (issue 16, ADR 0062): the `chasm_write` calls a real run sent (captured with
 * `capture-writes.js`, see there) replayed in order, one call at a time, into a fresh database
 * with the core schema: PGlite in memory and Postgres, alternating rounds, so a noisy machine's
 * load falls on both alike. Every write must apply (the fences and db versions of the capture are
 * replayed as they were, with every shard at range 1). Per call: wall time, this process's CPU
 * (PGlite runs inside it) and, on Postgres, the backend's CPU. `--call "SQL"` replaces the call
 * (its `$1` is the JSON), to split the cost: e.g. a statement that only casts `$1::jsonb`.
 *
 *   BENCH_WRITE_CAPTURE=/tmp/writes.jsonl node packages/chasm-core/dist/bench/write-replay.bench.js
 *     [--rounds R] [--targets pglite,postgres] [--call "select …($1::jsonb)"] [--setup variant.sql]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CompiledQuery, sql } from 'kysely';
import { openDatabase, migrate, type Database, type DatabaseConfig } from '../persistence/database.js';
import { CORE_MIGRATIONS } from '../persistence/migrations/index.js';
import { WRITE_CALL_SQL } from '../persistence/write-batcher.js';
import { processCpuMs } from '../testing/process-cpu.js';
import { runBench, withBenchPostgres } from '../testing/bench-kit.js';
import { fmt } from './bench-util.js';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, targets: { type: 'string' }, call: { type: 'string' }, setup: { type: 'string' } } });
const ROUNDS = Number(values.rounds ?? 3);
const TARGETS = (values.targets ?? 'pglite,postgres').split(',');
const CALL = values.call ?? WRITE_CALL_SQL;
const CAPTURE = process.env['BENCH_WRITE_CAPTURE'];
const SETUP = values.setup === undefined ? undefined : readFileSync(values.setup, 'utf8');

interface Write {
  s: number;
  r: number;
  k: string;
}

async function replay(config: DatabaseConfig, calls: readonly string[], writes: number, shards: ReadonlySet<number>): Promise<string> {
  const database: Database = await openDatabase(config);
  try {
    await migrate(database, CORE_MIGRATIONS.table, CORE_MIGRATIONS.migrations);
    if (SETUP !== undefined) await sql.raw(SETUP).execute(database.db);
    for (const s of shards) await sql`insert into shards (shard_id, range_id, owner) values (${s}, 1, 'replay') on conflict (shard_id) do update set range_id = 1`.execute(database.db);
    const backend = config.kind === 'postgres' ? (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0]?.pid : undefined;
    const cpu = (pid: number | undefined): number => {
      const c = processCpuMs(pid);
      return c ? c.user + c.system : 0;
    };
    let applied = 0;
    const c0 = process.cpuUsage();
    const b0 = cpu(backend);
    const t0 = performance.now();
    for (const call of calls) {
      const { rows } = await database.db.executeQuery<{ r: unknown }>(CompiledQuery.raw(CALL, [call]));
      const r = rows[0]?.r;
      const results: unknown = typeof r === 'string' ? JSON.parse(r) : r;
      // A --call that answers something else than the per-write results counts nothing applied.
      if (Array.isArray(results)) for (const x of results as { ok?: boolean }[]) if (x.ok === true) applied++;
    }
    const wall = performance.now() - t0;
    const own = process.cpuUsage(c0);
    const ownMs = (own.user + own.system) / 1000;
    const backendMs = cpu(backend) - b0;
    const n = calls.length;
    return `| ${config.kind} | ${n} | ${writes} | ${applied} | ${fmt((wall / n) * 1000)} | ${fmt((ownMs / n) * 1000)} | ${backend === undefined ? '–' : fmt((backendMs / n) * 1000)} |`;
  } finally {
    await database.close();
  }
}

runBench(async () => {
  if (CAPTURE === undefined) {
    console.log('write replay: skipped (BENCH_WRITE_CAPTURE names no capture; see capture-writes.ts)');
    return;
  }
  const captured = readFileSync(CAPTURE, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('[{"'))
    .map((l) => JSON.parse(l) as Write[]);
  // Every shard is at range 1 in the replay's database.
  const calls = captured.map((ws) => JSON.stringify(ws.map((w) => ({ ...w, r: 1 }))));
  const writes = captured.reduce((n, ws) => n + ws.length, 0);
  const shards = new Set(captured.flatMap((ws) => ws.map((w) => w.s)));
  const bytes = calls.reduce((n, c) => n + Buffer.byteLength(c), 0);
  console.log(`write replay: ${calls.length} calls, ${writes} writes, ${fmt(bytes / calls.length)} bytes per call; call: ${CALL}`);
  console.log('| target | calls | writes | applied | wall µs/call | this process CPU µs/call | backend CPU µs/call |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let round = 0; round < ROUNDS; round++) {
    if (TARGETS.includes('pglite')) console.log(await replay({ kind: 'pglite' }, calls, writes, shards));
    if (TARGETS.includes('postgres')) {
      await withBenchPostgres('write_replay', async (pg) => {
        console.log(await replay({ kind: 'postgres', url: pg.url, poolSize: 1 }, calls, writes, shards));
      });
    }
  }
});
