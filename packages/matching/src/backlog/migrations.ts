import type { MigrationSet } from '@chasm/core';
import { sql, type Kysely } from 'kysely';

/**
 * Matching's tables. Frozen in time: change the schema by adding a migration.
 * - `task_queues`: one row per durable queue: the fencing range id and the API config.
 * - `task_queue_tasks`: the backlog. The primary key is the dispatch order
 *   (priority, pass, task_id) under the queue, so the reader is an index range scan and acks
 *   delete by full key.
 */
export const matchingMigrations: MigrationSet = {
  table: 'matching_migrations',
  migrations: {
    '2026-11-25-001-task-queues': {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('task_queues')
          .addColumn('namespace_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('range_id', 'bigint', (c) => c.notNull())
          .addColumn('config', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
          .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addPrimaryKeyConstraint('task_queues_pk', ['namespace_id', 'name', 'type'])
          .execute();
        await db.schema
          .createTable('task_queue_tasks')
          .addColumn('namespace_id', 'text', (c) => c.notNull())
          .addColumn('queue_name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('priority', 'smallint', (c) => c.notNull())
          .addColumn('pass', 'bigint', (c) => c.notNull())
          .addColumn('task_id', 'bigint', (c) => c.notNull())
          .addColumn('fairness_key', 'text', (c) => c.notNull())
          .addColumn('fairness_weight', 'real', (c) => c.notNull())
          .addColumn('payload', 'bytea', (c) => c.notNull())
          .addColumn('expiry', 'timestamptz')
          .addColumn('created_at', 'timestamptz', (c) => c.notNull())
          .addPrimaryKeyConstraint('task_queue_tasks_pk', [
            'namespace_id',
            'queue_name',
            'type',
            'priority',
            'pass',
            'task_id',
          ])
          .execute();
      },
    },
  },
};
