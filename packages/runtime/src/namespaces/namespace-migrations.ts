/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run on Kysely<any> by design */
import type { MigrationSet } from '@chasm/core';

/**
 * The server package's tables, in its own migration table. Frozen in time: change the schema
 * by adding a migration, never by editing one.
 */
export const SERVER_MIGRATIONS: MigrationSet = {
  table: 'server_migrations',
  migrations: {
    '20261125T1200_create_namespaces': {
      async up(db: any): Promise<void> {
        await db.schema
          .createTable('namespaces')
          .addColumn('id', 'uuid', (c: any) => c.primaryKey())
          .addColumn('name', 'text', (c: any) => c.notNull().unique())
          .addColumn('state', 'text', (c: any) => c.notNull())
          // A proto-encoded DescribeNamespaceResponse holding namespace_info and config.
          .addColumn('data', 'bytea', (c: any) => c.notNull())
          .addColumn('version', 'integer', (c: any) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c: any) => c.notNull())
          .execute();
        // Cluster identity is created once and survives restarts (GetClusterInfo.cluster_id, and
        // the shard count, which can never change after the cluster is created).
        await db.schema
          .createTable('cluster_info')
          .addColumn('cluster_name', 'text', (c: any) => c.primaryKey())
          .addColumn('cluster_id', 'uuid', (c: any) => c.notNull())
          .addColumn('history_shard_count', 'integer', (c: any) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c: any) => c.notNull())
          .execute();
      },
      async down(db: any): Promise<void> {
        await db.schema.dropTable('cluster_info').execute();
        await db.schema.dropTable('namespaces').execute();
      },
    },
    // DeleteNamespace's purge is durable across restarts (ADR 0036): when the namespace was
    // deleted, the delay before its row goes, and when its data was found gone.
    '20261206T1400_namespace_deletion': {
      async up(db: any): Promise<void> {
        await db.schema
          .alterTable('namespaces')
          .addColumn('deleted_at', 'timestamptz')
          .addColumn('delete_delay_ms', 'bigint')
          .addColumn('purged_at', 'timestamptz')
          .execute();
      },
      async down(db: any): Promise<void> {
        await db.schema.alterTable('namespaces').dropColumn('deleted_at').dropColumn('delete_delay_ms').dropColumn('purged_at').execute();
      },
    },
  },
};
