import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testDatabases } from '../testing/test-databases.js';

/** What `Database.stats` counts (the cost guards and the workflow bench rely on it). */
describe.each(testDatabases())('database round trips and transactions ($name)', (tdb) => {
  it('counts statements, transactions and those that wrote', async () => {
    const database = await tdb.open();
    const { db, stats } = database;
    try {
      await sql`create table t (id int primary key, v int)`.execute(db);
      await sql`create function bump() returns void language sql as $$ update t set v = v + 1 $$`.execute(db);
      const base = { ...stats };
      const delta = () => ({
        roundTrips: stats.roundTrips - base.roundTrips,
        transactions: stats.transactions - base.transactions,
        writeTransactions: stats.writeTransactions - base.writeTransactions,
      });

      // Autocommit: one round trip and one transaction each; builder and raw writes are writes.
      await db.insertInto('t').values({ id: 1, v: 0 }).execute();
      await sql`insert into t (id, v) values (${2}, ${0})`.execute(db);
      await db.selectFrom('t').selectAll().execute();
      expect(delta()).toEqual({ roundTrips: 3, transactions: 3, writeTransactions: 2 });

      // An explicit transaction: begin + statements + commit, one transaction, a write if any wrote.
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('t').selectAll().execute();
        await trx.updateTable('t').set({ v: 1 }).where('id', '=', 1).execute();
      });
      expect(delta()).toEqual({ roundTrips: 7, transactions: 4, writeTransactions: 3 });
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('t').selectAll().execute();
      });
      expect(delta()).toEqual({ roundTrips: 10, transactions: 5, writeTransactions: 3 });

      // A rolled-back transaction committed nothing.
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.deleteFrom('t').execute();
          throw new Error('roll back');
        })
        .catch(() => undefined);
      expect(delta()).toEqual({ roundTrips: 13, transactions: 5, writeTransactions: 3 });

      // A write hidden in a function called from `select` is not seen: only `chasm_write` is known.
      await sql`select bump()`.execute(db);
      expect(delta()).toEqual({ roundTrips: 14, transactions: 6, writeTransactions: 3 });
    } finally {
      await database.close();
    }
  });
});
