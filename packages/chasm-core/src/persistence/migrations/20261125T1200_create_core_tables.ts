import { sql, type Kysely } from 'kysely';

/**
 * The core tables: shard leases, executions and their current-run pointers, one row per tree
 * node, the task outbox, and visibility records. Frozen in time: change the schema by adding a
 * migration, never by editing this one (it takes `Kysely<any>` for that reason).
 *
 * Identifier and path columns use the "C" collation: byte order is what the path encoding and
 * keyset paging assume, it is identical on every server regardless of locale, and it lets btree
 * indexes serve `LIKE 'prefix%'`.
 */
const id = sql`text collate "C"`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cluster_metadata')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('shards')
    .addColumn('shard_id', 'integer', (c) => c.primaryKey())
    .addColumn('range_id', 'bigint', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('executions')
    .addColumn('namespace_id', id, (c) => c.notNull())
    .addColumn('business_id', id, (c) => c.notNull())
    .addColumn('archetype', id, (c) => c.notNull())
    .addColumn('run_id', id, (c) => c.notNull())
    .addColumn('shard_id', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('transition_count', 'bigint', (c) => c.notNull())
    .addColumn('db_version', 'bigint', (c) => c.notNull())
    .addColumn('start_time', 'timestamptz', (c) => c.notNull())
    .addColumn('close_time', 'timestamptz')
    .addColumn('start_request_id', 'text', (c) => c.notNull())
    .addColumn('request_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint('executions_pk', ['namespace_id', 'business_id', 'archetype', 'run_id'])
    .execute();

  await db.schema
    .createTable('current_executions')
    .addColumn('namespace_id', id, (c) => c.notNull())
    .addColumn('business_id', id, (c) => c.notNull())
    .addColumn('archetype', id, (c) => c.notNull())
    .addColumn('run_id', id, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_request_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('current_executions_pk', ['namespace_id', 'business_id', 'archetype'])
    .execute();

  await db.schema
    .createTable('chasm_nodes')
    .addColumn('namespace_id', id, (c) => c.notNull())
    .addColumn('business_id', id, (c) => c.notNull())
    .addColumn('archetype', id, (c) => c.notNull())
    .addColumn('run_id', id, (c) => c.notNull())
    .addColumn('path', id, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('type_name', 'text', (c) => c.notNull())
    .addColumn('initial_tc', 'bigint', (c) => c.notNull())
    .addColumn('last_update_tc', 'bigint', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('chasm_nodes_pk', ['namespace_id', 'business_id', 'archetype', 'run_id', 'path'])
    .execute();

  await db.schema
    .createTable('chasm_tasks')
    .addColumn('shard_id', 'integer', (c) => c.notNull())
    .addColumn('task_id', id, (c) => c.notNull())
    .addColumn('namespace_id', id, (c) => c.notNull())
    .addColumn('business_id', id, (c) => c.notNull())
    .addColumn('archetype', id, (c) => c.notNull())
    .addColumn('run_id', id, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('type_name', 'text', (c) => c.notNull())
    .addColumn('path', id, (c) => c.notNull())
    .addColumn('component_initial_tc', 'bigint', (c) => c.notNull())
    .addColumn('created_tc', 'bigint', (c) => c.notNull())
    .addColumn('fire_at', 'timestamptz')
    .addColumn('payload', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('chasm_tasks_pk', ['shard_id', 'task_id'])
    .execute();
  // The task scan's order: immediate tasks (null fire_at) first, then by time, then id.
  await sql`create index chasm_tasks_due_idx on chasm_tasks (shard_id, fire_at nulls first, task_id)`.execute(db);
  // Deleting an execution deletes its tasks.
  await db.schema
    .createIndex('chasm_tasks_execution_idx')
    .on('chasm_tasks')
    .columns(['namespace_id', 'business_id', 'archetype', 'run_id'])
    .execute();

  await db.schema
    .createTable('visibility')
    .addColumn('namespace_id', id, (c) => c.notNull())
    .addColumn('archetype', id, (c) => c.notNull())
    .addColumn('business_id', id, (c) => c.notNull())
    .addColumn('run_id', id, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'timestamptz', (c) => c.notNull())
    .addColumn('close_time', 'timestamptz')
    .addColumn('search_attributes', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('memo', 'bytea')
    .addColumn('transition_count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('visibility_pk', ['namespace_id', 'archetype', 'business_id', 'run_id'])
    .execute();
  // The default listing order (StartTime DESC, RunId) within a namespace and archetype.
  await sql`create index visibility_start_time_idx on visibility (namespace_id, archetype, start_time desc, run_id)`.execute(
    db,
  );
  await sql`create index visibility_close_time_idx on visibility (namespace_id, archetype, close_time desc nulls first, run_id)`.execute(
    db,
  );
  await db.schema.createIndex('visibility_status_idx').on('visibility').columns(['namespace_id', 'archetype', 'status']).execute();
  // Default jsonb_ops (not jsonb_path_ops): filters use both `@>` (equality) and `?` (presence).
  await sql`create index visibility_search_attributes_idx on visibility using gin (search_attributes)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['visibility', 'chasm_tasks', 'chasm_nodes', 'current_executions', 'executions', 'shards', 'cluster_metadata']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
