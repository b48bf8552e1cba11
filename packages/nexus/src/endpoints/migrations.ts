import type { MigrationSet } from '@chasm/core';
import { sql, type Kysely } from 'kysely';

/**
 * The registry's table. Frozen in time: change the schema by adding a migration.
 *
 * `nexus_endpoints`: one row per endpoint. `name` is unique (the registry's name uniqueness is
 * the database's, so two racing creates cannot both win) and collated "C", so List's order and
 * its keyset page tokens compare bytes the same way on PGlite and on any Postgres locale. The
 * description and target live in `spec` (jsonb, bytes as base64): nothing queries inside them.
 *
 * `nexus_secrets`: the cluster's secrets by name, created once by the first node that needs one
 * (insert, do nothing on conflict, read back) so every node and every restart signs with the same
 * key. Today one: `callback-hmac`, the key of the signed callback tokens (ADR 0014).
 */
export const nexusMigrations: MigrationSet = {
  table: 'nexus_migrations',
  migrations: {
    '2026-12-05-001-nexus-endpoints': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('nexus_endpoints')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', sql`text collate "C"`, (c) => c.notNull().unique())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('spec', 'jsonb', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull())
          .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
          .execute();
      },
    },
    '2026-12-06-001-nexus-secrets': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('nexus_secrets')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull())
          .execute();
      },
    },
  },
};
