import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGLITE_MEMORY_OPTIONS } from './database.js';
import { openMemoryPGlite, pgliteSnapshotPath } from './pglite-snapshot.js';

describe('PGlite dump of a fresh cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-snapshot-'));
  const path = join(dir, 'base.tar.gz');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is keyed by the installed PGlite version', () => {
    expect(pgliteSnapshotPath()).toMatch(/dist[/\\]pglite[/\\]base-\d+\.\d+\.\d+.*\.tar\.gz$/);
  });

  it('is written by the first open, taken before anything is stored, and loaded by the next', async () => {
    const first = await openMemoryPGlite({}, path);
    expect(existsSync(path)).toBe(true);
    const written = readFileSync(path);
    await first.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
    await first.close();

    const second = await openMemoryPGlite({}, path);
    // A pristine cluster: what the first stored after it opened is not in the dump.
    const tables = await second.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'`);
    expect(tables.rows[0]?.n).toBe(0);
    await second.exec('CREATE TABLE t (x int)');
    await second.close();
    expect(readFileSync(path).equals(written)).toBe(true);
  }, 120_000);

  it('makes in-memory clusters with 1 MB WAL segments and keeps at most 4 MB of recycled WAL, from the dump too', async () => {
    for (let open = 0; open < 2; open++) {
      const lite = await openMemoryPGlite(PGLITE_MEMORY_OPTIONS, join(dir, 'wal.tar.gz'));
      const r = await lite.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('wal_segment_size', 'max_wal_size', 'min_wal_size') ORDER BY name`,
      );
      // wal_segment_size in bytes; the others in MB.
      expect(r.rows).toEqual([
        { name: 'max_wal_size', setting: '4' },
        { name: 'min_wal_size', setting: '2' },
        { name: 'wal_segment_size', setting: String(1024 * 1024) },
      ]);
      await lite.close();
    }
  }, 120_000);

  it('falls back to initdb when the dump is damaged, and replaces it', async () => {
    writeFileSync(path, 'not a tarball');
    const lite = await openMemoryPGlite({}, path);
    const r = await lite.query<{ one: number }>('SELECT 1 AS one');
    expect(r.rows[0]?.one).toBe(1);
    await lite.close();
    expect(readFileSync(path).length).toBeGreaterThan(1000);
  }, 120_000);
});
