import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase, dropPostgresDatabase, openDatabase, type Database, type DatabaseConfig } from '../persistence/database.js';

/** A database kind integration tests run against; every `open()` gives a fresh, empty database. */
export interface TestDatabase {
  readonly name: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The dialects named by `TEST_DIALECTS` (comma-separated, default `pglite`). Postgres uses
 * `TEST_POSTGRES_URL` as the admin connection and creates a uniquely named database per
 * `open()`, dropped again when that Database is closed.
 *
 *     describe.each(testDatabases())('$name', (tdb) => { ... await tdb.open() ... });
 */
export function testDatabases(): TestDatabase[] {
  const names = (process.env['TEST_DIALECTS'] ?? 'pglite')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...new Set(names)].map((name) => {
    switch (name) {
      case 'pglite':
        return { name, open: () => openDatabase({ kind: 'pglite' }) };
      case 'postgres':
        return { name, open: () => openFreshPostgres(process.env['TEST_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL) };
      default:
        throw new Error(`TEST_DIALECTS: unknown dialect '${name}' (expected pglite or postgres)`);
    }
  });
}

async function openFreshPostgres(adminUrl: string): Promise<Database> {
  const dbName = `chasm_test_${randomBytes(8).toString('hex')}`;
  const url = await createPostgresDatabase(adminUrl, dbName);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 8 });
  return {
    ...database,
    async close() {
      await database.close();
      // Leave nothing behind on a shared server. FORCE ends sessions a test forgot to close.
      await dropPostgresDatabase(adminUrl, dbName);
    },
  };
}

/** A database config for a server under test (in-process or a child), with its clean-up. */
export interface TestDatabaseConfig {
  readonly name: 'pglite' | 'postgres';
  /** PGlite in memory, or a fresh Postgres database named `<prefix>_…`; `drop` removes it. */
  open(): Promise<{ config: DatabaseConfig; drop(): Promise<void> }>;
}

/**
 * Like `testDatabases`, but yields configs rather than open databases, for e2e tests that start a
 * server on them. PGlite always; Postgres when `TEST_DIALECTS` names it.
 */
export function testDatabaseConfigs(prefix: string): TestDatabaseConfig[] {
  const names = (process.env['TEST_DIALECTS'] ?? 'pglite').split(',').map((s) => s.trim());
  const out: TestDatabaseConfig[] = [{ name: 'pglite', open: async () => ({ config: { kind: 'pglite' }, drop: async () => undefined }) }];
  if (names.includes('postgres')) {
    const base = process.env['TEST_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;
    out.push({
      name: 'postgres',
      open: async () => {
        const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
        const url = await createPostgresDatabase(base, name);
        return { config: { kind: 'postgres', url }, drop: () => dropPostgresDatabase(base, name) };
      },
    });
  }
  return out;
}

/** A database a restarted (or child) server can reopen: PGlite on disk, or a Postgres URL. */
export type RestartableDatabase = { readonly kind: 'pglite'; readonly dataDir: string } | { readonly kind: 'postgres'; readonly url: string };

/**
 * Like `testDatabaseConfigs`, but PGlite lives in a temporary data directory instead of memory,
 * so a server killed and started again (crash and restart tests, child processes) finds its data.
 */
export function restartableDatabaseConfigs(prefix: string): { readonly name: 'pglite' | 'postgres'; open(): Promise<{ config: RestartableDatabase; drop(): Promise<void> }> }[] {
  return testDatabaseConfigs(prefix).map((d) =>
    d.name === 'pglite'
      ? {
          name: 'pglite',
          async open() {
            const dataDir = await mkdtemp(join(tmpdir(), `${prefix}-`));
            return { config: { kind: 'pglite', dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
          },
        }
      : { name: d.name, open: async () => d.open() as Promise<{ config: RestartableDatabase; drop(): Promise<void> }> },
  );
}
