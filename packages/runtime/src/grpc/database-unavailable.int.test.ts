import { status as Status } from '@grpc/grpc-js';
import { openDatabase } from '@chasm/core';
import { testDatabases } from '@chasm/core/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { toGrpcStatus } from './grpc-status.js';

const failureOf = async (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected the database call to fail');
    },
    (e: unknown) => e,
  );

/** What real drivers throw when the database is away maps to UNAVAILABLE (SDKs retry it); a bad statement stays INTERNAL. */
describe('database faults at the front door', () => {
  it('a refused connection is UNAVAILABLE', async () => {
    // Port 1 on loopback: nothing listens, the connect is refused at once.
    const database = await openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      const err = await failureOf(sql`select 1`.execute(database.db));
      const mapped = toGrpcStatus(err);
      expect(mapped.status.code).toBe(Status.UNAVAILABLE);
      expect(mapped.internal).toBeUndefined();
    } finally {
      await database.close();
    }
  });

  it('a statement error is still INTERNAL (a bug, not an outage)', async () => {
    const database = await openDatabase({ kind: 'pglite' });
    try {
      const err = await failureOf(sql`select * from no_such_table`.execute(database.db));
      expect(toGrpcStatus(err).status.code).toBe(Status.INTERNAL);
    } finally {
      await database.close();
    }
  });

  const postgres = testDatabases().filter((t) => t.name === 'postgres');
  it.runIf(postgres.length > 0)('a backend terminated by the server mid-statement is UNAVAILABLE', async () => {
    const database = await postgres[0]!.open();
    try {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
      const pid = rows[0]!.pid;
      // The same pool connection runs the sleep; another one terminates it (admin_shutdown class).
      const sleeping = failureOf(sql`select pg_sleep(30)`.execute(database.db));
      for (const deadline = Date.now() + 10_000; ; ) {
        const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where pid = ${pid} and state = 'active'`.execute(database.db);
        if (r.rows[0]?.n === 1) break;
        if (Date.now() > deadline) throw new Error('the sleep did not start');
        await new Promise((res) => setTimeout(res, 20));
      }
      await sql`select pg_terminate_backend(${pid})`.execute(database.db);
      expect(toGrpcStatus(await sleeping).status.code).toBe(Status.UNAVAILABLE);
    } finally {
      await database.close();
    }
  });
});
