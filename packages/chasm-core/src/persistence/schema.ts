import type { ColumnType, Selectable } from 'kysely';
import type { ExecutionStatus, NodeKind, TaskKind } from './store.js';

/**
 * Kysely table types of the core tables (created by `migrations/`), in camelCase: the store
 * reads and writes through its own `CamelCasePlugin` instance (`db.withPlugin`), which maps
 * `typeName` to `type_name` in queries and result columns back to camelCase. Raw SQL text is
 * not rewritten by the plugin, so raw statements spell columns as the database does
 * (snake_case); their result columns are still mapped. jsonb contents are left alone
 * (`maintainNestedObjectKeys`), so search attribute names come back as written.
 *
 * Named `CoreDatabase` rather than `Database` because `Database` is already the
 * open-connection handle of `database.ts`. These types never leave `persistence/`: the engine
 * sees only `ExecutionStore` rows, which the selected rows match field for field.
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
  shardId: number;
  rangeId: number;
  owner: string;
  updatedAt: Timestamp;
}

export interface ExecutionsTable {
  namespaceId: string;
  businessId: string;
  archetype: string;
  runId: string;
  shardId: number;
  status: ExecutionStatus;
  transitionCount: number;
  dbVersion: number;
  startTime: Timestamp;
  closeTime: NullableTimestamp;
  startRequestId: string;
  requestIds: Json<string[]>;
}

export interface CurrentExecutionsTable {
  namespaceId: string;
  businessId: string;
  archetype: string;
  runId: string;
  status: ExecutionStatus;
  startRequestId: string;
}

export interface ChasmNodesTable {
  namespaceId: string;
  businessId: string;
  archetype: string;
  runId: string;
  path: string;
  kind: NodeKind;
  typeName: string;
  initialTc: number;
  lastUpdateTc: number;
  data: Uint8Array;
}

export interface ChasmTasksTable {
  shardId: number;
  taskId: string;
  namespaceId: string;
  businessId: string;
  archetype: string;
  runId: string;
  kind: TaskKind;
  typeName: string;
  path: string;
  componentInitialTc: number;
  createdTc: number;
  fireAt: NullableTimestamp;
  payload: Uint8Array;
}

export interface VisibilityTable {
  namespaceId: string;
  archetype: string;
  businessId: string;
  runId: string;
  status: ExecutionStatus;
  startTime: Timestamp;
  closeTime: NullableTimestamp;
  searchAttributes: Json<Record<string, unknown>>;
  memo: Uint8Array | null;
  transitionCount: number;
}

export interface CoreDatabase {
  clusterMetadata: ClusterMetadataTable;
  shards: ShardsTable;
  executions: ExecutionsTable;
  currentExecutions: CurrentExecutionsTable;
  chasmNodes: ChasmNodesTable;
  chasmTasks: ChasmTasksTable;
  visibility: VisibilityTable;
}

export type ExecutionsRow = Selectable<ExecutionsTable>;
export type CurrentExecutionsRow = Selectable<CurrentExecutionsTable>;
export type ChasmNodesRow = Selectable<ChasmNodesTable>;
export type ChasmTasksRow = Selectable<ChasmTasksTable>;
export type VisibilityRow = Selectable<VisibilityTable>;
