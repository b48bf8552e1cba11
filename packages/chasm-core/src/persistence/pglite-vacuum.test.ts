import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { PGliteVacuum, type VacuumTrigger } from './pglite-vacuum.js';

describe('PGliteVacuum', () => {
  it('bounds an in-memory cluster’s WAL: a standalone backend checkpoints only when told', async () => {
    const database = await openDatabase({ kind: 'pglite', vacuumIntervalMs: 0 });
    try {
      const walMb = async (): Promise<number> =>
        (await sql<{ mb: number }>`SELECT (sum(size) / 1048576)::int AS mb FROM pg_ls_waldir()`.execute(database.db)).rows[0]!.mb;
      await sql`CREATE TABLE t (id serial PRIMARY KEY, payload text)`.execute(database.db);
      // ~16 MB of rows that do not compress: more WAL than max_wal_size (4 MB) several times over.
      for (let i = 0; i < 4000; i++) await sql`INSERT INTO t (payload) VALUES (${randomBytes(2000).toString('hex')})`.execute(database.db);
      await sql`DELETE FROM t`.execute(database.db);
      expect(await walMb()).toBeGreaterThan(12);
      await new PGliteVacuum(database).vacuum();
      expect(await walMb()).toBeLessThanOrEqual(6);
    } finally {
      await database.close();
    }
  }, 180_000);

  it('vacuums once enough WAL was written, long before its interval, and counts none of it as work', async () => {
    // An hour's interval: only the volume can start a pass within this test.
    const database = await openDatabase({ kind: 'pglite', vacuumIntervalMs: 3_600_000, vacuumWalBytes: 1024 * 1024 });
    let passed!: (trigger: VacuumTrigger) => void;
    const pass = new Promise<VacuumTrigger>((r) => (passed = r));
    const vacuum = new PGliteVacuum(database, { onPass: (trigger) => passed(trigger) });
    try {
      await sql`CREATE TABLE t (id serial PRIMARY KEY, payload text)`.execute(database.db);
      await vacuum.start();
      const before = { ...database.stats };
      // ~5 MB of WAL (rows of 960 bytes stay in line, uncompressed), all of it dead at commit.
      await database.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO t (payload) SELECT repeat(md5(random()::text), 30) FROM generate_series(1, 5000)`.execute(tx);
        await sql`DELETE FROM t`.execute(tx);
      });
      expect(await pass).toBe('wal');
      // The work: begin, two statements, commit; one write transaction. The upkeep is counted apart.
      expect(database.stats.roundTrips - before.roundTrips).toBe(4);
      expect(database.stats.writeTransactions - before.writeTransactions).toBe(1);
      expect(database.stats.maintenanceStatements - before.maintenanceStatements).toBeGreaterThanOrEqual(3);
      // The pass removed the dead rows (~5 MB of pages) and gave the empty pages back.
      const size = await sql<{ n: number }>`SELECT pg_relation_size('t')::int AS n`.execute(database.db);
      expect(size.rows[0]!.n).toBeLessThan(1024 * 1024);
    } finally {
      await vacuum.stop();
      await database.close();
    }
  }, 180_000);
});
