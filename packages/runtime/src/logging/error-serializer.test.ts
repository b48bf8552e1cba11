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
