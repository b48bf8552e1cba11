import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { MigrationSet } from '../tokens.js';
import { CORE_MIGRATIONS } from './migrations/index.js';
import { openMigratedDatabase } from './open-migrated-database.js';
import { preparedSnapshotPath } from './pglite-snapshot.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const createTable = (name: string) => ({
  up: async (db: Kysely<any>) => {
    await db.schema.createTable(name).addColumn('id', 'integer', (c) => c.primaryKey()).execute();
  },
});
/* eslint-enable @typescript-eslint/no-explicit-any */

const appV1: MigrationSet = { table: 'app_migrations', migrations: { '0001_widgets': createTable('widgets') } };
const appV2: MigrationSet = { table: 'app_migrations', migrations: { ...appV1.migrations, '0002_gadgets': createTable('gadgets') } };

async function appliedMigrations(db: Kysely<unknown>, table: string): Promise<string[]> {
  const r = await sql<{ name: string }>`SELECT name FROM ${sql.table(table)} ORDER BY name`.execute(db);
  return r.rows.map((row) => row.name);
}

async function tableNames(db: Kysely<unknown>): Promise<string[]> {
  const r = await sql<{ tablename: string }>`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`.execute(db);
  return r.rows.map((row) => row.tablename);
}

describe('an in-memory PGlite cluster prepared after its migrations', () => {
  const dumpDir = mkdtempSync(join(tmpdir(), 'pglite-prepared-'));
  afterAll(() => rmSync(dumpDir, { recursive: true, force: true }));
  const config = { kind: 'pglite', preparedDump: true } as const;

  it('is written by the first boot, after migrations and before anything else is stored', async () => {
    const first = await openMigratedDatabase(config, [CORE_MIGRATIONS, appV1], { dumpDir });
    expect(first.schema).toBe('migrations+dump-written');
    const dumpPath = preparedSnapshotPath([CORE_MIGRATIONS, appV1], dumpDir)!;
    expect(existsSync(dumpPath)).toBe(true);
    // Stored uncompressed, so a boot does not inflate it (a tar's header has "ustar" at 257; gzip starts 1f 8b).
    expect(readFileSync(dumpPath).subarray(257, 262).toString('latin1')).toBe('ustar');
    await first.database.db.insertInto('widgets').values({ id: 1 }).execute();
    await first.database.close();

    const second = await openMigratedDatabase(config, [CORE_MIGRATIONS, appV1], { dumpDir });
    try {
      expect(second.schema).toBe('prepared-dump');
      expect(second.migrateMs).toBe(0);
      // Every migration is there, as if it had run at this boot ...
      expect(await appliedMigrations(second.database.db, 'app_migrations')).toEqual(['0001_widgets']);
      expect(await appliedMigrations(second.database.db, CORE_MIGRATIONS.table)).toEqual(Object.keys(CORE_MIGRATIONS.migrations).sort());
      // ... and nothing the first boot stored afterwards.
      expect(await second.database.db.selectFrom('widgets').selectAll().execute()).toEqual([]);
      // The templates are left out of the dump (the cluster has only the database it uses).
      const dbs = await sql<{ datname: string }>`SELECT datname FROM pg_database`.execute(second.database.db);
      expect(dbs.rows.map((r) => r.datname)).toEqual(['postgres']);
    } finally {
      await second.database.close();
    }
  }, 300_000);

  it('is prepared again when the migration list changes, and then has the new migration', async () => {
    expect(preparedSnapshotPath([CORE_MIGRATIONS, appV2], dumpDir)).not.toBe(preparedSnapshotPath([CORE_MIGRATIONS, appV1], dumpDir));
    const changed = await openMigratedDatabase(config, [CORE_MIGRATIONS, appV2], { dumpDir });
    try {
      expect(changed.schema).toBe('migrations+dump-written');
      expect(await appliedMigrations(changed.database.db, 'app_migrations')).toEqual(['0001_widgets', '0002_gadgets']);
      expect(await tableNames(changed.database.db)).toEqual(expect.arrayContaining(['gadgets', 'widgets']));
    } finally {
      await changed.database.close();
    }
    const again = await openMigratedDatabase(config, [CORE_MIGRATIONS, appV2], { dumpDir });
    try {
      expect(again.schema).toBe('prepared-dump');
      expect(await appliedMigrations(again.database.db, 'app_migrations')).toEqual(['0001_widgets', '0002_gadgets']);
    } finally {
      await again.database.close();
    }
    // A migration whose code was edited (a development slip) is a different list too.
    const edited: MigrationSet = {
      table: 'app_migrations',
      migrations: {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        '0001_widgets': { up: async (db: Kysely<any>) => void (await db.schema.createTable('widgets').addColumn('id', 'bigint').execute()) },
      },
    };
    expect(preparedSnapshotPath([CORE_MIGRATIONS, edited], dumpDir)).not.toBe(preparedSnapshotPath([CORE_MIGRATIONS, appV1], dumpDir));
    expect(readdirSync(dumpDir).filter((f) => f.startsWith('prepared-'))).toHaveLength(2);
  }, 300_000);

  it('is not used without preparedDump: migrations run at every open', async () => {
    const plain = await openMigratedDatabase({ kind: 'pglite' }, [appV1], { dumpDir: join(dumpDir, 'unused') });
    try {
      expect(plain.schema).toBe('migrations');
      expect(await appliedMigrations(plain.database.db, 'app_migrations')).toEqual(['0001_widgets']);
      expect(existsSync(join(dumpDir, 'unused'))).toBe(false);
    } finally {
      await plain.database.close();
    }
  }, 300_000);
});
