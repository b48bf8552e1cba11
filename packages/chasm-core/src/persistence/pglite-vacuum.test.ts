import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { PGliteVacuum } from './pglite-vacuum.js';

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
});
