import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createPostgresDatabase, migrate, openDatabase, type Database } from '@chasm/core';
import { sql } from 'kysely';
import { matchingMigrations } from '../backlog/migrations.js';

/** A database that can be closed and opened again with its data (to test restarts). */
export interface ReopenableDatabase {
  /** Opens a connection to the same data, with matching's migrations applied. */
  open(): Promise<Database>;
  dispose(): Promise<void>;
}

export interface TestDialect {
  readonly name: string;
  create(): Promise<ReopenableDatabase>;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Dialects from `TEST_DIALECTS` (default `pglite`); Postgres admin URL from `TEST_POSTGRES_URL`. */
export function testDialects(): TestDialect[] {
  const names = [...new Set((process.env['TEST_DIALECTS'] ?? 'pglite').split(',').map((s) => s.trim()).filter(Boolean))];
  return names.map((name): TestDialect => {
    if (name === 'pglite') {
      return {
        name,
        async create() {
          const dataDir = await mkdtemp(join(tmpdir(), 'matching-test-'));
          return {
            open: () => openMigrated({ kind: 'pglite', dataDir }),
            dispose: () => rm(dataDir, { recursive: true, force: true }),
          };
        },
      };
    }
    if (name === 'postgres') {
      const admin = process.env['TEST_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;
      return {
        name,
        async create() {
          const dbName = `matching_test_${randomBytes(6).toString('hex')}`;
          const url = await createPostgresDatabase(admin, dbName);
          return {
            open: () => openMigrated({ kind: 'postgres', url, poolSize: 8 }),
            async dispose() {
              const a = await openDatabase({ kind: 'postgres', url: admin, poolSize: 1 });
              try {
                await sql.raw(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).execute(a.db);
              } finally {
                await a.close();
              }
            },
          };
        },
      };
    }
    throw new Error(`TEST_DIALECTS: unknown dialect ${name}`);
  });
}

async function openMigrated(config: Parameters<typeof openDatabase>[0]): Promise<Database> {
  const database = await openDatabase(config);
  await migrate(database, matchingMigrations.table, matchingMigrations.migrations);
  return database;
}
