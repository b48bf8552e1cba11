import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/test-databases.js';

const postgres = testDatabases().filter((t) => t.name === 'postgres');

/**
 * A connection that dies while the pool has lent it out must not end the process: the work on it
 * fails, and the next query gets a fresh connection. The fault is real: the test database's own
 * backend is terminated from an admin connection (only that backend, on a database the test made).
 */
describe.runIf(postgres.length > 0)('a Postgres connection that dies while checked out', () => {
  it('fails the work on it and leaves the process and the pool usable', async () => {
    const database = await postgres[0]!.open();
    const admin = new pg.Client({ connectionString: process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    try {
      let failed: unknown;
      await database.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          const pid = rows[0]!.pid;
          await admin.query('select pg_terminate_backend($1)', [pid]);
          // Wait until the backend is gone, so the client sees its socket close between statements.
          for (const deadline = Date.now() + 10_000; ; ) {
            const r = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
            if (r.rowCount === 0) break;
            if (Date.now() > deadline) throw new Error('backend did not end');
            await new Promise((res) => setTimeout(res, 20));
          }
          await sql`select 1`.execute(trx);
        })
        .catch((e: unknown) => (failed = e));
      expect(failed).toBeInstanceOf(Error);
      // The process is alive (an unhandled 'error' event would have ended this worker) and the
      // pool serves the next query on a fresh connection.
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      expect(rows[0]?.one).toBe(1);
    } finally {
      await admin.end();
      await database.close();
    }
  });
});
