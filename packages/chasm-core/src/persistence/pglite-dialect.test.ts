import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE_OPTIONS } from './database.js';
import { bindMessage, PGliteDialect, runStatement, StatementCache } from './pglite-dialect.js';

/** The named statements Postgres holds for the session (protocol-level ones have no `prepare` text of ours). */
async function prepared(lite: PGlite): Promise<string[]> {
  const { rows } = await lite.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'chasm_%' ORDER BY name`);
  return rows.map((r) => r.name);
}

describe('PGlite dialect: one protocol exchange per statement (ADR 0062)', () => {
  let lite: PGlite;
  beforeAll(async () => {
    lite = new PGlite(PGLITE_OPTIONS);
    await lite.waitReady;
    await lite.exec(`CREATE TABLE t (id int8 PRIMARY KEY, name text, at timestamptz, ok boolean, data bytea, doc jsonb, n numeric)`);
  });
  afterAll(async () => {
    await lite.close();
  });

  it('binds and parses every value kind as PGlite.query does', async () => {
    const statements = new StatementCache();
    const at = new Date('2026-12-07T10:00:00.123Z');
    const insert = 'INSERT INTO t (id, name, at, ok, data, doc, n) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id';
    const params = [1, 'zoë ✓', at, true, new Uint8Array([0, 1, 254, 255]), JSON.stringify({ a: [1, 'x'] }), 2.5];
    const ours = await runStatement<{ id: number }>(lite, statements, insert, params);
    expect(ours.rows).toEqual([{ id: 1 }]);
    expect(ours.affectedRows).toBe(1);
    await runStatement(lite, statements, insert, [2, null, null, false, null, null, null]);
    const select = 'SELECT * FROM t WHERE id = any($1::int8[]) ORDER BY id';
    const mine = await runStatement(lite, statements, select, [[1, 2]]);
    const theirs = await lite.query(select, [[1, 2]]);
    expect(mine.rows).toEqual(theirs.rows);
    expect(mine.rows[0]).toMatchObject({ id: 1, name: 'zoë ✓', at, ok: true, doc: { a: [1, 'x'] }, n: 2.5 });
    expect([...(mine.rows[0] as { data: Uint8Array }).data]).toEqual([0, 1, 254, 255]);
    expect(mine.rows[1]).toMatchObject({ id: 2, name: null, ok: false });
  });

  it('prepares a text once, by name, and closes the oldest beyond its capacity', async () => {
    const statements = new StatementCache(2);
    const before = await prepared(lite);
    const texts = ['SELECT $1::int AS a', 'SELECT $1::int AS b', 'SELECT $1::int AS c'];
    for (let i = 0; i < 3; i++) expect((await runStatement(lite, statements, texts[0]!, [i])).rows).toEqual([{ a: i }]);
    expect(await prepared(lite)).toHaveLength(before.length + 1);
    await runStatement(lite, statements, texts[1]!, [1]);
    await runStatement(lite, statements, texts[2]!, [1]);
    // The third text evicted the first; its Close went with the next message.
    await runStatement(lite, statements, texts[1]!, [7]);
    expect(statements.size).toBe(2);
    expect(statements.get(texts[0]!)).toBeUndefined();
    expect(await prepared(lite)).toHaveLength(before.length + 2);
  });

  it('forgets its statements after DDL, so a plan prepared before sees the new schema', async () => {
    const statements = new StatementCache();
    const select = 'SELECT * FROM t WHERE id = $1';
    expect(Object.keys((await runStatement(lite, statements, select, [1])).rows[0] as object)).not.toContain('extra');
    await runStatement(lite, statements, 'ALTER TABLE t ADD COLUMN extra text', []);
    expect(statements.size).toBe(0);
    expect(Object.keys((await runStatement(lite, statements, select, [1])).rows[0] as object)).toContain('extra');
    // Transaction control keeps them.
    await runStatement(lite, statements, 'BEGIN', []);
    await runStatement(lite, statements, 'COMMIT', []);
    expect(statements.size).toBe(1);
  });

  it('surfaces an error with its SQLSTATE and leaves the session usable, in and out of a transaction', async () => {
    const statements = new StatementCache();
    const insert = 'INSERT INTO t (id, name) VALUES ($1, $2)';
    await expect(runStatement(lite, statements, insert, [1, 'again'])).rejects.toMatchObject({ code: '23505' });
    await expect(runStatement(lite, statements, 'SELEC 1', [])).rejects.toMatchObject({ code: '42601' });
    await runStatement(lite, statements, 'BEGIN', []);
    await expect(runStatement(lite, statements, insert, [1, 'again'])).rejects.toMatchObject({ code: '23505' });
    await expect(runStatement(lite, statements, 'SELECT 1 AS one', [])).rejects.toMatchObject({ code: '25P02' });
    await runStatement(lite, statements, 'ROLLBACK', []);
    expect((await runStatement(lite, statements, 'SELECT count(*)::int AS n FROM t WHERE id = $1', [1])).rows).toEqual([{ n: 1 }]);
  });

  it('takes turns with PGlite’s own queries (its mutexes), however they interleave', async () => {
    const statements = new StatementCache();
    const ours = Array.from({ length: 50 }, (_, i) => runStatement<{ v: number }>(lite, statements, 'SELECT $1::int + 1 AS v', [i]));
    const theirs = Array.from({ length: 50 }, (_, i) => lite.query<{ v: number }>('SELECT $1::int + 2 AS v', [i]));
    const [a, b] = await Promise.all([Promise.all(ours), Promise.all(theirs)]);
    expect(a.map((r) => r.rows[0]!.v)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(b.map((r) => r.rows[0]!.v)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it('runs Kysely queries and transactions through the dialect', async () => {
    const db = new Kysely<{ t: { id: number; name: string | null } }>({ dialect: new PGliteDialect(lite) });
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('t').values({ id: 10, name: 'k' }).execute();
      await sql`UPDATE t SET name = ${'kk'} WHERE id = ${10}`.execute(tx);
    });
    expect(await db.selectFrom('t').select(['id', 'name']).where('id', '=', 10).execute()).toEqual([{ id: 10, name: 'kk' }]);
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto('t').values({ id: 11, name: 'gone' }).execute();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.selectFrom('t').select('id').where('id', '=', 11).execute()).toEqual([]);
  });

  it('carries a long multi-byte parameter whole (a write call’s JSON)', async () => {
    const statements = new StatementCache();
    const doc = JSON.stringify({ text: 'ünï ✓ 𝄞 '.repeat(2000) });
    const { rows } = await runStatement<{ same: boolean; chars: number }>(lite, statements, 'SELECT $1::jsonb = $2::jsonb AS same, length($3::text) AS chars', [doc, doc, doc]);
    expect(rows).toEqual([{ same: true, chars: [...doc].length }]);
    expect(bindMessage('', [doc]).length).toBeGreaterThan(Buffer.byteLength(doc));
  });
});
