import type { MigrationSet } from '../tokens.js';
import { isInMemoryDatabase, markMigrated, migrate, openDatabase, PGLITE_MEMORY_OPTIONS, pgliteDatabase, type Database, type DatabaseConfig } from './database.js';
import type { PGlite } from '@electric-sql/pglite';
import { loadMemoryPGlite, openMemoryPGlite, preparedSnapshotPath, writePreparedSnapshot } from './pglite-snapshot.js';

/** How the schema got there: migrations run now, or a prepared dump that already had them. */
export type SchemaSource = 'migrations' | 'prepared-dump' | 'migrations+dump-written';

export interface MigratedDatabase {
  readonly database: Database;
  readonly schema: SchemaSource;
  /** Opening the database (PGlite: loading a dump or initdb), then migrating it (ms). */
  readonly openMs: number;
  readonly migrateMs: number;
}

/**
 * Opens a database and brings every package's schema up to date (each set in its own
 * migration table, in order). An in-memory PGlite cluster with `preparedDump` loads a dump
 * taken after exactly these migrations instead (keyed by them: see `preparedSnapshotPath`) and
 * runs none; the first boot without one migrates and then writes it.
 */
export async function openMigratedDatabase(
  config: DatabaseConfig,
  sets: readonly MigrationSet[],
  options: { /** Where prepared dumps live (default: this package's node_modules/.cache/pglite). */ readonly dumpDir?: string } = {},
): Promise<MigratedDatabase> {
  const t0 = performance.now();
  if (config.kind !== 'pglite' || !isInMemoryDatabase(config) || !config.preparedDump) {
    const database = await openDatabase(config);
    const t1 = performance.now();
    await migrateAll(database, sets);
    return { database, schema: 'migrations', openMs: t1 - t0, migrateMs: performance.now() - t1 };
  }
  const path = preparedSnapshotPath(sets, options.dumpDir);
  const prepared = await loadMemoryPGlite(PGLITE_MEMORY_OPTIONS, path);
  if (prepared) {
    const database = await pgliteDatabase(config, prepared);
    // The dump's key is these sets' migrations: nothing is left to check (see `migrate`).
    for (const set of sets) markMigrated(database, set.table, set.migrations);
    return { database, schema: 'prepared-dump', openMs: performance.now() - t0, migrateMs: 0 };
  }
  const lite = await openMemoryPGlite(PGLITE_MEMORY_OPTIONS);
  const database = await pgliteDatabase(config, lite);
  const t1 = performance.now();
  try {
    await migrateAll(database, sets);
    // Only a cluster that nothing but migrations touched may become the dump.
    if (path) {
      await dropTemplateDatabases(lite);
      await writePreparedSnapshot(lite, path);
    }
  } catch (e) {
    await database.close();
    throw e;
  }
  return { database, schema: path ? 'migrations+dump-written' : 'migrations', openMs: t1 - t0, migrateMs: performance.now() - t1 };
}

async function migrateAll(database: Database, sets: readonly MigrationSet[]): Promise<void> {
  for (const set of sets) await migrate(database, set.table, set.migrations);
}

/**
 * initdb leaves three databases of ~7 MB each; the server uses only `postgres`. In memory,
 * every file costs RSS and every boot extracts it, and nothing in a private embedded cluster
 * creates databases (the only use of the templates), so the prepared dump leaves them out:
 * 38 MB less RSS and ~0.5 s less CPU per boot. Each statement runs alone: DROP DATABASE
 * refuses to run in a transaction block.
 */
async function dropTemplateDatabases(lite: PGlite): Promise<void> {
  await lite.query(`UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')`);
  await lite.query('DROP DATABASE IF EXISTS template0');
  await lite.query('DROP DATABASE IF EXISTS template1');
  await lite.query('CHECKPOINT');
}
