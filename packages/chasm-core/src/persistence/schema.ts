import type { ColumnType, Insertable, Selectable } from 'kysely';

/**
 * Kysely table types of the core tables (created by `migrations/`). Named `CoreDatabase` rather
 * than `Database` because `Database` is already the open-connection handle of `database.ts`.
 * These types never leave `persistence/`: the engine sees only `ExecutionStore` rows.
 *
 * bigint columns are read as numbers (see the type parsers in `database.ts`); jsonb is written as
 * a JSON string and read back parsed; bytea is read as a Buffer (pg) or Uint8Array (PGlite).
 */
type Json<T> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;

export interface ClusterMetadataTable {
  key: string;
  value: Json<unknown>;
}

export interface ShardsTable {
  shard_id: number;
  range_id: number;
  owner: string;
  updated_at: Timestamp;
}

export interface ExecutionsTable {
  namespace_id: string;
  business_id: string;
  archetype: string;
  run_id: string;
  shard_id: number;
  status: string;
  transition_count: number;
  db_version: number;
  start_time: Timestamp;
  close_time: NullableTimestamp;
  start_request_id: string;
  request_ids: Json<string[]>;
}

export interface CurrentExecutionsTable {
  namespace_id: string;
  business_id: string;
  archetype: string;
  run_id: string;
  status: string;
  start_request_id: string;
}

export interface ChasmNodesTable {
  namespace_id: string;
  business_id: string;
  archetype: string;
  run_id: string;
  path: string;
  kind: string;
  type_name: string;
  initial_tc: number;
  last_update_tc: number;
  data: Uint8Array;
}

export interface ChasmTasksTable {
  shard_id: number;
  task_id: string;
  namespace_id: string;
  business_id: string;
  archetype: string;
  run_id: string;
  kind: string;
  type_name: string;
  path: string;
  component_initial_tc: number;
  created_tc: number;
  fire_at: NullableTimestamp;
  payload: Uint8Array;
}

export interface VisibilityTable {
  namespace_id: string;
  archetype: string;
  business_id: string;
  run_id: string;
  status: string;
  start_time: Timestamp;
  close_time: NullableTimestamp;
  search_attributes: Json<Record<string, unknown>>;
  memo: Uint8Array | null;
  transition_count: number;
}

export interface CoreDatabase {
  cluster_metadata: ClusterMetadataTable;
  shards: ShardsTable;
  executions: ExecutionsTable;
  current_executions: CurrentExecutionsTable;
  chasm_nodes: ChasmNodesTable;
  chasm_tasks: ChasmTasksTable;
  visibility: VisibilityTable;
}

export type ExecutionsRow = Selectable<ExecutionsTable>;
export type CurrentExecutionsRow = Selectable<CurrentExecutionsTable>;
export type ChasmNodesRow = Selectable<ChasmNodesTable>;
export type ChasmTasksRow = Selectable<ChasmTasksTable>;
export type VisibilityRow = Selectable<VisibilityTable>;
export type NewShard = Insertable<ShardsTable>;
