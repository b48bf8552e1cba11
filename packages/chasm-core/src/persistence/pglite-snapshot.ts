import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { MigrationSet } from '../tokens.js';
import { prewarmedPGliteOptions } from './pglite-prewarm.js';
import { fileURLToPath } from 'node:url';

/**
 * An in-memory PGlite cluster normally starts by running initdb inside WebAssembly: seconds
 * of CPU at every boot of the dev server and in every test that opens one. A cluster fresh out
 * of initdb is always the same, so it is dumped once (at build time, or by the first process
 * that finds none) and later boots load that dump instead. The dump is keyed by the PGlite
 * version, since a data directory only fits the Postgres build that wrote it; a dump that does
 * not load is ignored and the cluster is initialised as before.
 */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cachedPath: string | null | undefined;

/**
 * initdb's arguments for an in-memory cluster: WAL segments of 1 MB instead of 16 MB. The size
 * is fixed at initdb, and in memory every segment is a file held in the process: the dump of a
 * fresh cluster carried one 16 MB segment (mostly zeros) that every boot extracted and kept
 * resident, and Postgres keeps several segments around between checkpoints (ADR 0038).
 */
export const MEMORY_INITDB_PARAMS: readonly string[] = ['--wal-segsize=1'];
/** Names the dumps made with `MEMORY_INITDB_PARAMS`, so a dump of 16 MB segments is never taken for one. */
const INITDB_TAG = 'wal1';

/** Where this PGlite version's dump lives (in this package's dist/), or null if unknowable. */
export function pgliteSnapshotPath(): string | null {
  if (cachedPath !== undefined) return cachedPath;
  cachedPath = null;
  try {
    const version = pgliteVersion();
    if (version) cachedPath = join(packageRoot, 'dist', 'pglite', `base-${version}-${INITDB_TAG}.tar.gz`);
  } catch {
    // No version, no dump: every boot runs initdb, as it did before.
  }
  return cachedPath;
}

/** Opens an in-memory cluster, from the dump when there is one; writes the dump when missing. */
export async function openMemoryPGlite(options: PGliteOptions, path = pgliteSnapshotPath()): Promise<PGlite> {
  const loaded = await loadMemoryPGlite(options, path);
  if (loaded) return loaded;
  const lite = new PGlite('memory://', { ...options, ...(await prewarmedPGliteOptions()), initDbStartParams: [...MEMORY_INITDB_PARAMS] });
  await lite.waitReady;
  if (path) await writeSnapshot(lite, path);
  return lite;
}

/** An in-memory cluster loaded from the dump at `path`, or undefined if there is none or it does not load. */
export async function loadMemoryPGlite(options: PGliteOptions, path: string | null): Promise<PGlite | undefined> {
  if (!path || !existsSync(path)) return undefined;
  try {
    const lite = new PGlite('memory://', { ...options, ...(await prewarmedPGliteOptions()), loadDataDir: new Blob([readFileSync(path)]) });
    await lite.waitReady;
    return lite;
  } catch {
    // A damaged or foreign dump: the caller falls back to initdb (and rewrites the dump).
    return undefined;
  }
}

/**
 * Bumped whenever how a prepared dump is made changes (what it leaves out, settings it bakes in,
 * its compression). 4: an uncompressed tar (see `preparedSnapshotPath`).
 */
const PREPARED_FORMAT = 4;

/** How many prepared dumps (one per migration list) are kept; older ones are deleted. */
const PREPARED_KEPT = 4;

/**
 * Where the dump of a cluster that already ran exactly these migrations lives. The key hashes
 * the PGlite version and, per migration table in order, each migration's name and source text:
 * migrations are frozen in time, so a different list (a package added, a migration added, or
 * one edited during development) is a different key and the dump is prepared again.
 */
export function preparedSnapshotPath(sets: readonly MigrationSet[], dir?: string): string | null {
  const base = pgliteSnapshotPath();
  if (!base) return null;
  const hash = createHash('sha256').update(`${basename(base)}\u0000${PREPARED_FORMAT}`);
  for (const set of sets) {
    hash.update(`\u0000table\u0000${set.table}`);
    for (const [name, m] of Object.entries(set.migrations)) hash.update(`\u0000${name}\u0000${m.up.toString()}`);
  }
  // Not in dist/: nx restores a package's dist from its cache as a whole, which would delete
  // these files; node_modules/.cache is where tools keep such things (and it is git-ignored).
  // Uncompressed (~15 MB instead of ~2.4 MB): PGlite inflates a gzipped dump through a
  // DecompressionStream on the main thread, ~190 ms of the dev server's boot (issue 16, ADR 0060).
  return join(dir ?? join(packageRoot, 'node_modules', '.cache', 'pglite'), `prepared-${hash.digest('hex').slice(0, 16)}.tar`);
}

/**
 * Writes the dump of a cluster right after its migrations, before anything else is stored,
 * and keeps only the few most recent prepared dumps (each composition of packages has its own).
 */
export async function writePreparedSnapshot(lite: PGlite, path: string): Promise<void> {
  await writeSnapshot(lite, path, 'none');
  try {
    const dir = dirname(path);
    const prepared = readdirSync(dir)
      .filter((f) => f.startsWith('prepared-') && (f.endsWith('.tar') || f.endsWith('.tar.gz')))
      .map((f) => ({ f, at: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { f } of prepared.slice(PREPARED_KEPT)) unlinkSync(join(dir, f));
  } catch {
    // Pruning is housekeeping: a race with another process pruning is harmless.
  }
}

/** Writes the dump of a cluster; best effort (read-only installs). */
async function writeSnapshot(lite: PGlite, path: string, compression: 'gzip' | 'none' = 'gzip'): Promise<void> {
  try {
    const dump = await lite.dumpDataDir(compression);
    mkdirSync(dirname(path), { recursive: true });
    // Several processes may race to write it (parallel tests): each writes its own file and
    // renames it into place, which is atomic, so a reader never sees half a dump.
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, path);
  } catch {
    // Not writable or no space: the next boot initialises again, which is only slower.
  }
}

function pgliteVersion(): string | undefined {
  const require = createRequire(import.meta.url);
  // The package's exports do not include package.json: walk up from its entry point instead.
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version;
    }
    dir = dirname(dir);
  }
  return undefined;
}
