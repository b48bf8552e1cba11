import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { prewarmedPGliteOptions, prewarmPGlite } from './pglite-prewarm.js';
import { PGLITE_MEMORY_OPTIONS } from './database.js';
import { loadMemoryPGlite, pgliteSnapshotPath } from './pglite-snapshot.js';

describe('PGlite prewarm (ADR 0054)', () => {
  it('compiles the WebAssembly and reads the file-system bundle ahead, and a cluster opens with them', { timeout: 120_000 }, async () => {
    // Nothing started yet in this process: the options are empty and PGlite does it all itself.
    expect(await prewarmedPGliteOptions()).toEqual({});

    prewarmPGlite();
    prewarmPGlite(); // idempotent
    const first = await prewarmedPGliteOptions();
    expect(first.pgliteWasmModule).toBeDefined();
    expect(Object.prototype.toString.call(first.pgliteWasmModule)).toBe('[object WebAssembly.Module]');
    expect(first.fsBundle?.size).toBeGreaterThan(1_000_000);

    // The bundle is handed out once (its megabytes are not held after the start); the module stays.
    const second = await prewarmedPGliteOptions();
    expect(second.fsBundle).toBeUndefined();
    expect(second.pgliteWasmModule).toBe(first.pgliteWasmModule);

    // A cluster given both opens and answers, from initdb and from the dump alike.
    // (PGlite's own defaults: the memory options' WAL sizes need the dump's 1 MB segments.)
    const lite = new PGlite('memory://', { ...first });
    try {
      expect((await lite.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]?.n).toBe(42);
    } finally {
      await lite.close();
    }
    prewarmPGlite();
    const fromDump = await loadMemoryPGlite(PGLITE_MEMORY_OPTIONS, pgliteSnapshotPath());
    if (fromDump) {
      try {
        expect((await fromDump.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n).toBe(1);
      } finally {
        await fromDump.close();
      }
    }
  });
});
