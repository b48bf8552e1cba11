import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ChasmError, ErrorCode } from '../errors.js';
import { openDatabase } from './database.js';

const failureOf = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected the database call to fail');
    },
    (e: unknown) => e,
  );

const isUnavailable = (e: unknown): boolean => ChasmError.is(e) && e.code === ErrorCode.Unavailable && e.name === 'DatabaseUnavailableError';

/** Real driver failures, no mocks: the persistence layer raises one typed error for "the database is away". */
describe('database faults leave the persistence layer as DatabaseUnavailableError', () => {
  it('a refused connection', async () => {
    // Port 1 on loopback: nothing listens, the connect is refused at once.
    const database = await openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      const err = await failureOf(sql`select 1`.execute(database.db));
      expect(isUnavailable(err), String(err)).toBe(true);
      expect((err as { reason: string }).reason).toMatch(/ECONNREFUSED/);
      // The message names no statement and no value.
      expect((err as Error).message).toBe('the database is unavailable; retry later');
    } finally {
      await database.close();
    }
  });

  it('no connection within the connect timeout (a server that accepts and never answers)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const database = await openDatabase({ kind: 'postgres', url: `postgres://postgres@127.0.0.1:${port}/none`, connectTimeoutMs: 300 });
    try {
      const err = await failureOf(sql`select 1`.execute(database.db));
      expect(isUnavailable(err), String(err)).toBe(true);
    } finally {
      await database.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('a statement error passes through as the driver raised it', async () => {
    const database = await openDatabase({ kind: 'pglite' });
    try {
      const err = await failureOf(sql`select * from no_such_table`.execute(database.db));
      expect(ChasmError.is(err)).toBe(false);
      expect((err as { code?: unknown }).code).toBe('42P01');
    } finally {
      await database.close();
    }
  });
});
