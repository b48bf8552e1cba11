import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { existsSync, readFileSync, renameSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/** Where this PGlite version's dump lives (in this package's dist/), or null if unknowable. */
export function pgliteSnapshotPath(): string | null {
  if (cachedPath !== undefined) return cachedPath;
  cachedPath = null;
  try {
    const version = pgliteVersion();
    if (version) cachedPath = join(packageRoot, 'dist', 'pglite', `base-${version}.tar.gz`);
  } catch {
    // No version, no dump: every boot runs initdb, as it did before.
  }
  return cachedPath;
}

/** Opens an in-memory cluster, from the dump when there is one; writes the dump when missing. */
export async function openMemoryPGlite(options: PGliteOptions, path = pgliteSnapshotPath()): Promise<PGlite> {
  if (path && existsSync(path)) {
    try {
      const lite = new PGlite('memory://', { ...options, loadDataDir: new Blob([readFileSync(path)]) });
      await lite.waitReady;
      return lite;
    } catch {
      // A damaged or foreign dump: fall back to initdb (and rewrite the dump below).
    }
  }
  const lite = new PGlite('memory://', options);
  await lite.waitReady;
  if (path) await writeSnapshot(lite, path);
  return lite;
}

/** Writes the dump of a cluster nothing has touched yet; best effort (read-only installs). */
async function writeSnapshot(lite: PGlite, path: string): Promise<void> {
  try {
    const dump = await lite.dumpDataDir('gzip');
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
