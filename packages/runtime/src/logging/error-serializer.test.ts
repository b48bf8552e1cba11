import { Writable } from 'node:stream';
import { openDatabase } from '@chasm/core';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('logged errors carry no SQL parameters and no long strings', () => {
  it('redacts the bound values of a real database error and cuts long messages', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    const secret = `payload-${'x'.repeat(50)}-distinctive`;
    const database = await openDatabase({ kind: 'pglite' });
    try {
      // A real failing statement with a bound parameter (PGlite attaches the values to its error).
      const err = await sql`select ${secret}::int as n`.execute(database.db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      logger.error({ err }, 'statement failed');
      logger.error({ err: new Error(`bad ${'y'.repeat(10_000)}`) }, 'long message');
    } finally {
      await database.close();
    }
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain('distinctive');
    expect(lines[1]!.length).toBeLessThan(3_000);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'statement failed', err: { type: expect.any(String) } });
  });
});

describe('database errors quoting row values', () => {
  it('drops the detail of a constraint violation, also when the error is the cause of another', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    const database = await openDatabase({ kind: 'pglite' });
    try {
      await sql`create table t (x text check (x not like '%distinctive%'))`.execute(database.db);
      // Postgres reports a check violation with `detail: Failing row contains (<the row>)`.
      const err = await sql`insert into t values (${'row-value-distinctive'})`.execute(database.db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String((err as { detail?: unknown }).detail)).toContain('distinctive');
      logger.error({ err }, 'statement failed');
      logger.error({ err: new Error('commit failed', { cause: err }) }, 'wrapped');
    } finally {
      await database.close();
    }
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain('distinctive');
    expect(JSON.parse(lines[0]!)).toMatchObject({ err: { code: '23514', constraint: 't_x_check' } });
  });
});
