/**
 * The contract between the engine and a database. The engine never sees SQL; a store never
 * sees components. Two implementations: `KyselyExecutionStore` (Postgres and PGlite) and the
 * in-memory `MemoryExecutionStore` of the testing kit. Both must pass the same conformance tests.
 *
 * Every write is fenced by a shard lease: it succeeds only while the shard's `range_id` still
 * equals the lease's. A store whose lease was superseded throws `ShardOwnershipLostError` on
 * every write, forever.
 */

/**
 * Execution status as persisted. Open: running and paused (an operator paused a workflow; it
 * still owns its business id, takes signals and can be terminated). Closed: everything else.
 */
export type ExecutionStatus =
  | 'running'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'canceled'
  | 'terminated'
  | 'timedOut'
  | 'continuedAsNew';

/**
 * Open means not closed: no close time, the business id stays taken. Compare with this, never
 * with 'running' alone (a paused run is open).
 */
export const isOpenStatus = (s: ExecutionStatus): boolean => s === 'running' || s === 'paused';

export type NodeKind = 'component' | 'data' | 'map' | 'pointer';
/** `visibility` and `retention` are the engine's own tasks (no component type runs them). */
export type TaskKind = 'pure' | 'sideEffect' | 'visibility' | 'retention';

export interface ShardLease {
  readonly shardId: number;
  readonly rangeId: number;
}

export interface ExecutionKey {
  readonly namespaceId: string;
  readonly businessId: string;
  /** Fully qualified name of the root component type, e.g. `tests.store`. */
  readonly archetype: string;
  readonly runId: string;
}

/** An execution key with the shard that owns it. */
export interface ExecutionRef extends ExecutionKey {
  readonly shardId: number;
}

export interface ExecutionRow extends ExecutionKey {
  readonly shardId: number;
  readonly status: ExecutionStatus;
  readonly transitionCount: number;
  /** Bumped by exactly one on every successful commit; the optimistic-concurrency token. */
  readonly dbVersion: number;
  readonly startTime: Date;
  readonly closeTime: Date | null;
  readonly startRequestId: string;
  /** Recently applied update request ids (bounded, newest last) for request-id dedup. */
  readonly requestIds: readonly string[];
}

export interface CurrentExecutionRow {
  readonly namespaceId: string;
  readonly businessId: string;
  readonly archetype: string;
  readonly runId: string;
  readonly status: ExecutionStatus;
  readonly startRequestId: string;
}

export interface NodeRow {
  /** Encoded path; the root is ''. See tree/path.ts. Compared with C collation. */
  readonly path: string;
  readonly kind: NodeKind;
  /** Component fqn for components; codec name for data; '' for maps and pointers. */
  readonly typeName: string;
  readonly initialTc: number;
  readonly lastUpdateTc: number;
  readonly data: Uint8Array;
}

export interface TaskRow extends ExecutionKey {
  readonly shardId: number;
  /** Unique within the shard. Allocated by the engine (see `TaskIdAllocator`). */
  readonly taskId: string;
  readonly kind: TaskKind;
  /** Registered task type fqn, e.g. `tests.expire`. */
  readonly typeName: string;
  readonly path: string;
  readonly componentInitialTc: number;
  /** Transition that created the task; with `offset` the task's stable identity. */
  readonly createdTc: number;
  /** null means immediate. */
  readonly fireAt: Date | null;
  readonly payload: Uint8Array;
}

export interface LoadedExecution {
  readonly execution: ExecutionRow;
  readonly nodes: readonly NodeRow[];
  readonly tasks: readonly TaskRow[];
}

export interface VisibilityRecord extends ExecutionKey {
  readonly status: ExecutionStatus;
  readonly startTime: Date;
  readonly closeTime: Date | null;
  /** Search attributes by name; values are JSON (string, number, boolean, string[], ISO dates). */
  readonly searchAttributes: Readonly<Record<string, unknown>>;
  readonly memo: Uint8Array | null;
  /** The transition count the record was computed at; older writes never overwrite newer. */
  readonly transitionCount: number;
}

/** A new execution, written in one transaction with its current-execution pointer. */
export interface CreateExecution {
  readonly lease: ShardLease;
  readonly execution: ExecutionRow;
  readonly nodes: readonly NodeRow[];
  readonly tasks: readonly TaskRow[];
  /**
   * 'create': no current row may exist for (namespace, businessId, archetype).
   * 'replace': the current row must point at `previousRunId` (which is closed); it is swapped.
   * Violations throw `CurrentExecutionChangedError` so the engine re-reads and re-decides.
   */
  readonly current: { readonly mode: 'create' } | { readonly mode: 'replace'; readonly previousRunId: string };
  /** The execution's first visibility record, upserted in the same transaction (ADR 0032). */
  readonly visibility?: VisibilityRecord;
}

export interface CommitMutation {
  readonly lease: ShardLease;
  readonly key: ExecutionKey;
  /** The commit applies only if the stored db_version still equals this. */
  readonly expectedDbVersion: number;
  /** New values of the execution row (its dbVersion is expectedDbVersion + 1). */
  readonly execution: ExecutionRow;
  readonly upsertNodes: readonly NodeRow[];
  readonly deletePaths: readonly string[];
  readonly insertTasks: readonly TaskRow[];
  readonly deleteTaskIds: readonly string[];
  /** Set when the execution's status changed: the current-execution row follows (if it points here). */
  readonly currentStatus?: ExecutionStatus;
  /**
   * Set when the visibility record changed: upserted in the same transaction, never older over
   * newer (transition count guard). ADR 0032: visibility lives in the same database, so no
   * outbox task is needed to keep it consistent with the execution.
   */
  readonly visibility?: VisibilityRecord;
  /**
   * Finished tasks of the same shard (any execution) whose rows ride along (ADR 0039): deleted
   * in the same transaction whenever the shard fence holds, even if this commit's own condition
   * fails, instead of in a write of their own.
   */
  readonly finishedTaskIds?: readonly string[];
}

export interface TaskScan {
  readonly shardId: number;
  /** Only tasks with fireAt null or <= this time. */
  readonly dueBefore: Date;
  /** Exclusive cursor (fireAt, taskId) for paging; immediate tasks sort first. */
  readonly after?: { readonly fireAt: Date | null; readonly taskId: string };
  readonly limit: number;
}

/** Visibility filters; the workflow query language compiles into this tree. */
export type VisibilityValue = string | number | boolean | Date | null;
export type VisibilityFilter =
  | { readonly kind: 'and' | 'or'; readonly clauses: readonly VisibilityFilter[] }
  | { readonly kind: 'not'; readonly clause: VisibilityFilter }
  | {
      readonly kind: 'compare';
      /** 'BusinessId' | 'RunId' | 'Status' | 'StartTime' | 'CloseTime' or a search attribute name. */
      readonly field: string;
      readonly op: '=' | '!=' | '<' | '>' | '<=' | '>=';
      readonly value: VisibilityValue;
    }
  | { readonly kind: 'in'; readonly field: string; readonly values: readonly VisibilityValue[] }
  | { readonly kind: 'between'; readonly field: string; readonly low: VisibilityValue; readonly high: VisibilityValue }
  | { readonly kind: 'startsWith'; readonly field: string; readonly prefix: string }
  | { readonly kind: 'isNull'; readonly field: string; readonly negate?: boolean };

export interface VisibilityQuery {
  readonly namespaceId: string;
  readonly archetype: string;
  readonly filter?: VisibilityFilter;
  /** Default: StartTime DESC, then RunId. */
  readonly orderBy?: readonly { readonly field: string; readonly desc: boolean }[];
  readonly pageSize: number;
  /** Opaque token from a previous page. */
  readonly pageToken?: string;
}

export interface VisibilityPage {
  readonly records: readonly VisibilityRecord[];
  readonly nextPageToken?: string;
}

export interface ExecutionStore {
  /** Number of shards, fixed when the database was first initialised. */
  readonly shardCount: number;

  /**
   * Takes (or steals) ownership of a shard by incrementing its range id. From then on, every
   * write fenced by an older lease fails.
   */
  acquireShard(shardId: number, owner: string): Promise<ShardLease>;

  getCurrentExecution(namespaceId: string, businessId: string, archetype: string): Promise<CurrentExecutionRow | undefined>;
  loadExecution(key: ExecutionKey): Promise<LoadedExecution | undefined>;

  /** Throws CurrentExecutionChangedError, ShardOwnershipLostError. */
  createExecution(req: CreateExecution): Promise<void>;
  /** One database transaction. Throws ConcurrentUpdateError, ShardOwnershipLostError. */
  commit(mutation: CommitMutation): Promise<void>;
  /** Removes the execution, its nodes, tasks, visibility and (if it points here) the current row. */
  deleteExecution(lease: ShardLease, key: ExecutionKey): Promise<void>;

  /**
   * Up to `limit` executions (any status, any order) of a namespace on the given shards: what
   * removing a deleted namespace's data walks through, batch by batch.
   */
  listNamespaceExecutions(namespaceId: string, shardIds: readonly number[], limit: number): Promise<readonly ExecutionRef[]>;

  /** Tasks of a shard in (fireAt nulls first, taskId) order. */
  scanTasks(scan: TaskScan): Promise<readonly TaskRow[]>;
  /** Deletes finished tasks. Fenced. */
  deleteTasks(lease: ShardLease, taskIds: readonly string[]): Promise<void>;

  /** Upserts records (ignoring ones older than the stored transitionCount) and deletes their tasks. */
  writeVisibility(lease: ShardLease, records: readonly VisibilityRecord[], doneTaskIds: readonly string[]): Promise<void>;
  listVisibility(query: VisibilityQuery): Promise<VisibilityPage>;
  countVisibility(query: Omit<VisibilityQuery, 'pageSize' | 'pageToken' | 'orderBy'>): Promise<number>;

  close(): Promise<void>;
}

/** Namespaces: a small registry of its own; not sharded. */
export interface NamespaceRow {
  readonly id: string;
  readonly name: string;
  /** 'registered' | 'deprecated' | 'deleted' */
  readonly state: string;
  /** Opaque to the store: the server keeps proto-encoded namespace info and config here. */
  readonly data: Uint8Array;
  /** Bumped on every update; optimistic-concurrency token. */
  readonly version: number;
  readonly createdAt: Date;
}

export interface NamespaceStore {
  /** Throws ChasmError ALREADY_EXISTS if the name is taken. */
  createNamespace(row: Omit<NamespaceRow, 'version' | 'createdAt'>): Promise<NamespaceRow>;
  getNamespaceByName(name: string): Promise<NamespaceRow | undefined>;
  getNamespaceById(id: string): Promise<NamespaceRow | undefined>;
  /** Ordered by name. */
  listNamespaces(pageSize: number, afterName?: string): Promise<readonly NamespaceRow[]>;
  /** Applies if `expectedVersion` matches; throws ConcurrentUpdateError otherwise. */
  updateNamespace(row: Omit<NamespaceRow, 'version' | 'createdAt'>, expectedVersion: number): Promise<NamespaceRow>;
  deleteNamespace(id: string): Promise<void>;
}
