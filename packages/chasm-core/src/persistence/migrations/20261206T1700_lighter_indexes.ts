import { sql, type Kysely } from 'kysely';

/**
 * Less index work per commit (issue 16; profiled with pg_stat_statements, track = all, on the
 * hello-activity bench: the node upsert was ~31 % of Postgres' statement time and the
 * visibility upsert ~14 %).
 *
 * - The search-attribute index uses `jsonb_path_ops`: visibility queries use only `@>` on
 *   `search_attributes` (visibility-sql.ts), which that operator class serves with one entry per
 *   value (a hash of its path) instead of one per key and one per value, so each of the three
 *   visibility writes of a workflow inserts about half the GIN entries.
 * - `chasm_nodes` leaves a fifth of each heap page free: the root component's row is rewritten
 *   at nearly every commit, and with room on its page the update is HOT (no new entry in the
 *   five-column primary key). Applies to pages written from now on.
 *
 * Frozen in time like every migration.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists visibility_search_attributes_idx`.execute(db);
  await sql`create index visibility_search_attributes_idx on visibility using gin (search_attributes jsonb_path_ops)`.execute(db);
  await sql`alter table chasm_nodes set (fillfactor = 80)`.execute(db);
}
