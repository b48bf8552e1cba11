import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { DataDirVersionError, PGLITE_POSTGRES_MAJOR } from './pglite-data-dir.js';
import { openMemoryPGlite } from './pglite-snapshot.js';

describe('a PGlite data directory of another Postgres major', () => {
  const root = mkdtempSync(join(tmpdir(), 'pglite-data-dir-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('PGLITE_POSTGRES_MAJOR is the installed PGlite’s Postgres major', async () => {
    const lite = await openMemoryPGlite({});
    const r = await lite.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    await lite.close();
    expect(Math.floor(Number(r.rows[0]?.v) / 10_000)).toBe(PGLITE_POSTGRES_MAJOR);
  }, 120_000);

  it('is refused before PGlite opens it, with an error naming the directory and both majors, and left as it was', async () => {
    // What PGlite 0.4.x (Postgres 17) leaves in PG_VERSION; Postgres checks this file for the same reason.
    const dir = join(root, 'pg17');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');
    const err = await openDatabase({ kind: 'pglite', dataDir: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirVersionError);
    expect((err as Error).name).toBe('DataDirVersionError');
    expect((err as Error).message).toContain(`PGlite data directory ${dir} holds a Postgres 17 database`);
    expect((err as Error).message).toContain(`embedded Postgres is ${PGLITE_POSTGRES_MAJOR}`);
    expect(readdirSync(dir)).toEqual(['PG_VERSION']);
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it('a new directory is initialised and opens again', async () => {
    const dir = join(root, 'fresh');
    const first = await openDatabase({ kind: 'pglite', dataDir: dir });
    await first.close();
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8').trim()).toBe(String(PGLITE_POSTGRES_MAJOR));
    const second = await openDatabase({ kind: 'pglite', dataDir: dir });
    await second.close();
  }, 120_000);
});
