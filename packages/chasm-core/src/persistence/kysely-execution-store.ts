import { CamelCasePlugin, sql, type Kysely, type RawBuilder } from 'kysely';
import {
  ChasmError,
  ConcurrentUpdateError,
  CurrentExecutionChangedError,
  ErrorCode,
  InvalidArgumentError,
} from '../errors.js';
import { migrate, type Database } from './database.js';
import { CORE_MIGRATION_TABLE, coreMigrations } from './migrations/index.js';
import type { CoreDatabase, ExecutionsRow } from './schema.js';
import type {
  CommitMutation,
  CreateExecution,
  CurrentExecutionRow,
  ExecutionKey,
  ExecutionRef,
  ExecutionStore,
  LoadedExecution,
  NodeKind,
  NodeRow,
  ShardLease,
  TaskKind,
  TaskRow,
  TaskScan,
  VisibilityPage,
  VisibilityQuery,
  VisibilityRecord,
} from './store.js';
import { WRITE_CALL_SQL, WriteBatcher, type WriteBatcherOptions, type WriteResult } from './write-batcher.js';
import { countVisibilitySql, encodePageToken, listVisibilitySql, orderTerms } from './visibility-sql.js';

type Sql = RawBuilder<unknown>;

export interface StoreOptions {
  readonly shardCount: number;
  /** Group commit: write statements in flight at once (default 3 on Postgres, 1 on PGlite). */
  readonly maxWritesInFlight?: number;
  /** Group commit: writes joined into one statement at most (default 64; 1 turns joining off). */
  readonly maxWritesPerStatement?: number;
  /**
   * Group commit: writes queued before a second (third…) statement is sent while one runs
   * (default 16 on Postgres; see `WriteBatcherOptions.overlapAt`, ADR 0048).
   */
  readonly writeOverlapAt?: number;
  /**
   * Postgres: send `chasm_write` as a named prepared statement on the pool (default true, ADR
   * 0055); false sends it through Kysely as an unnamed statement, as before (for A/B runs).
   */
  readonly preparedWrites?: boolean;
}

/**
 * `ExecutionStore` on Postgres (`pg`) and PGlite through Kysely.
 *
 * Every write is ONE call of the `chasm_write` PL/pgSQL function (migration 20261203T1800, revised by 20261206T1400), so
 * it is atomic on its own (no BEGIN/COMMIT), costs one round trip, and Postgres plans its
 * statements once per session instead of once per write. Under load, writes that queue up while
 * others are in flight go in one call (group commit, see `WriteBatcher`), each with its own
 * conditions. Each write first takes the fence,
 * `select 1 from shards where shard_id = $ and range_id = $ for share`: the share lock conflicts
 * with `acquireShard`'s UPDATE, so a steal either waits for an in-flight write to commit or
 * commits first, in which case the fence re-checks the new row version, finds no match and the
 * write changes nothing. The function reports, per write, which condition failed.
 *
 * Collections (nodes, tasks, ids) travel inside one jsonb parameter and are expanded with
 * `jsonb_to_recordset`. Bytes travel base64-encoded inside that JSON. One INSERT must not
 * write the same key twice, so batches are de-duplicated here first (see `dedupe*`).
 *
 * Rows are read in camelCase through the store's own `CamelCasePlugin` (see `schema.ts`), so they
 * come back as `ExecutionStore` rows. The JSON handed to `chasm_write` is not a row: its keys
 * are the function's parameter format (`jsonb_to_recordset` column names), frozen with its
 * migration, and are spelled out below.
 *
 * The store does not own the `Database`: whoever opened it closes it.
 */
export class KyselyExecutionStore implements ExecutionStore {
  readonly #db: Kysely<CoreDatabase>;
  readonly #writes: WriteBatcher;

  private constructor(
    db: Kysely<CoreDatabase>,
    writeDb: Kysely<unknown>,
    readonly shardCount: number,
    batching: WriteBatcherOptions,
  ) {
    this.#db = db;
    this.#writes = new WriteBatcher(writeDb, batching);
  }

  /** Write statements sent and writes they carried (writes / statements = the group-commit factor). */
  get writeStats(): { readonly statements: number; readonly writes: number; readonly isolations: number; readonly overlaps: number } {
    const w = this.#writes;
    return { statements: w.statements, writes: w.writes, isolations: w.isolations, overlaps: w.overlaps };
  }

  /** Runs the core migrations, fixes the shard count on first use and creates the shard rows. */
  static async open(database: Database, opts: StoreOptions): Promise<KyselyExecutionStore> {
    const store = KyselyExecutionStore.create(database, opts);
    await store.init(database);
    return store;
  }

  /**
   * A store not yet initialised: for dependency injection, where construction is synchronous.
   * Call `init` (the server's engine service does) before any other method.
   */
  static create(database: Database, opts: StoreOptions): KyselyExecutionStore {
    const { shardCount } = opts;
    if (!Number.isInteger(shardCount) || shardCount < 1) {
      throw new InvalidArgumentError('shardCount', `shardCount must be a positive integer, got ${shardCount}`);
    }
    // PGlite runs one statement at a time; on Postgres a few statements in flight overlap one
    // batch's WAL flush with the next batch's execution and leave the rest of the pool to reads.
    const maxInFlight = opts.maxWritesInFlight ?? (database.config.kind === 'postgres' ? 3 : 1);
    const maxBatch = opts.maxWritesPerStatement ?? 64;
    // Only a deep queue opens another statement while one runs (ADR 0048): a shallow one waits
    // for the running statement and joins the next, which halved statements per start (and cut
    // Postgres' CPU per start by a third) at 50 callers, while a burst still overlaps.
    const overlapAt = opts.writeOverlapAt ?? 16;
    // A plugin per store: the Database is shared (other packages' stores use it unmapped). Writes
    // skip it: `chasm_write` takes and returns its own JSON, no row to map, and it is the hot
    // path (one call per commit batch), so it pays for no query or result transformation.
    const db = (database.db as Kysely<CoreDatabase>).withPlugin(new CamelCasePlugin({ maintainNestedObjectKeys: true }));
    // PGlite runs each statement on this thread: let writes gather for one event-loop turn first.
    const waitOneTurn = database.config.kind !== 'postgres';
    // On Postgres the write call is a named prepared statement (ADR 0055): parsed once per
    // connection instead of on every call, and sent without Kysely's per-call compilation.
    const prepared = opts.preparedWrites === false ? undefined : database.prepare?.<{ r: WriteResult[] | string }>('chasm_write', WRITE_CALL_SQL);
    const call = prepared && ((json: string) => prepared([json]));
    return new KyselyExecutionStore(db, database.db as Kysely<unknown>, shardCount, {
      maxInFlight,
      maxBatch,
      waitOneTurn,
      overlapAt,
      ...(call ? { call } : {}),
    });
  }

  async init(database: Database): Promise<void> {
    const shardCount = this.shardCount;
    await migrate(database, CORE_MIGRATION_TABLE, coreMigrations);
    const db = this.#db;
    // First opener wins; everyone else must agree, because executions are already hashed to shards.
    await db
      .insertInto('clusterMetadata')
      .values({ key: 'shard_count', value: JSON.stringify(shardCount) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await db.selectFrom('clusterMetadata').select('value').where('key', '=', 'shard_count').executeTakeFirstOrThrow();
    if (row.value !== shardCount) {
      throw new ChasmError(
        ErrorCode.FailedPrecondition,
        `the database was initialised with ${String(row.value)} shards; cannot open it with ${shardCount}`,
        { storedShardCount: row.value, requestedShardCount: shardCount },
      );
    }
    await sql`insert into shards (shard_id, range_id, owner)
      select s, 0, '' from generate_series(0, ${shardCount - 1}::int) as s
      on conflict (shard_id) do nothing`.execute(db);
  }

  async acquireShard(shardId: number, owner: string): Promise<ShardLease> {
    const row = await this.#db
      .updateTable('shards')
      .set((eb) => ({ rangeId: eb('rangeId', '+', 1), owner, updatedAt: sql<Date>`now()` }))
      .where('shardId', '=', shardId)
      .returning('rangeId')
      .executeTakeFirst();
    if (row === undefined) throw new InvalidArgumentError('shardId', `shardId ${shardId} is not in [0, ${this.shardCount})`);
    return { shardId, rangeId: row.rangeId };
  }

  async getCurrentExecution(namespaceId: string, businessId: string, archetype: string): Promise<CurrentExecutionRow | undefined> {
    return this.#db
      .selectFrom('currentExecutions')
      .selectAll()
      .where('namespaceId', '=', namespaceId)
      .where('businessId', '=', businessId)
      .where('archetype', '=', archetype)
      .executeTakeFirst();
  }

  /** One statement (one snapshot): the execution row with its nodes and tasks aggregated as JSON. */
  async loadExecution(key: ExecutionKey): Promise<LoadedExecution | undefined> {
    // The nested JSON objects keep their keys (the plugin maps only the row's own columns), so
    // they are built in camelCase here.
    const { rows } = await sql<ExecutionsRow & { nodes: JsonNode[]; tasks: JsonTask[] }>`
      select e.*,
        (select coalesce(json_agg(json_build_object(
            'path', n.path, 'kind', n.kind, 'typeName', n.type_name, 'initialTc', n.initial_tc,
            'lastUpdateTc', n.last_update_tc, 'data', encode(n.data, 'base64')) order by n.path), '[]')
          from chasm_nodes n
          where n.namespace_id = e.namespace_id and n.business_id = e.business_id
            and n.archetype = e.archetype and n.run_id = e.run_id) as nodes,
        (select coalesce(json_agg(json_build_object(
            'shardId', t.shard_id, 'taskId', t.task_id, 'kind', t.kind, 'typeName', t.type_name,
            'path', t.path, 'componentInitialTc', t.component_initial_tc, 'createdTc', t.created_tc,
            'fireAtMs', round(extract(epoch from t.fire_at) * 1000)::bigint,
            'payload', encode(t.payload, 'base64')) order by t.fire_at nulls first, t.task_id), '[]')
          from chasm_tasks t
          where t.namespace_id = e.namespace_id and t.business_id = e.business_id
            and t.archetype = e.archetype and t.run_id = e.run_id) as tasks
      from executions e
      where ${keyWhere('e', key)}`.execute(this.#db);
    const row = rows[0];
    if (row === undefined) return undefined;
    const { nodes, tasks, ...execution } = row;
    return {
      execution,
      nodes: nodes.map((n) => ({ ...n, data: fromBase64(n.data) })),
      tasks: tasks.map(({ fireAtMs, payload, ...t }) => ({
        ...keyOf(key),
        ...t,
        fireAt: fireAtMs === null ? null : new Date(fireAtMs),
        payload: fromBase64(payload),
      })),
    };
  }

  createExecution(req: CreateExecution): Promise<void> {
    const e = req.execution;
    return this.#writes.submit({
      lease: req.lease,
      payload: {
        k: 'create',
        ...keyJson(e),
        shard: e.shardId,
        status: e.status,
        tc: e.transitionCount,
        dbv: e.dbVersion,
        start: e.startTime.toISOString(),
        close: e.closeTime?.toISOString() ?? null,
        req: e.startRequestId,
        rids: e.requestIds,
        cur: req.current.mode,
        prev: req.current.mode === 'replace' ? req.current.previousRunId : null,
        nodes: nodesJson(dedupeNodes(req.nodes)),
        tasks: tasksJson(dedupeTasks(req.tasks)),
        ...(req.visibility ? { vis: [visibilityJson(req.visibility)] } : {}),
      },
      conditionFailed: () =>
        new CurrentExecutionChangedError(
          req.current.mode === 'create'
            ? `a current execution already exists for ${e.businessId} (${e.archetype})`
            : `the current execution of ${e.businessId} (${e.archetype}) is no longer ${req.current.previousRunId}`,
        ),
    });
  }

  commit(m: CommitMutation): Promise<void> {
    const { key, execution: e } = m;
    const nodes = dedupeNodes(m.upsertNodes);
    const upserted = new Set(nodes.map((n) => n.path));
    // A path deleted and re-created in one transaction ends up upserted (the new instance).
    const deletePaths = [...new Set(m.deletePaths)].filter((p) => !upserted.has(p));
    // A task inserted and deleted in the same transaction never needs to exist.
    const deleteIds = new Set(m.deleteTaskIds);
    const tasks = dedupeTasks(m.insertTasks).filter((t) => !deleteIds.has(t.taskId));
    const insertedIds = new Set(m.insertTasks.map((t) => t.taskId));
    const deleteTaskIds = [...deleteIds].filter((id) => !insertedIds.has(id));
    return this.#writes.submit({
      lease: m.lease,
      payload: {
        k: 'commit',
        ...keyJson(key),
        expect: m.expectedDbVersion,
        status: e.status,
        tc: e.transitionCount,
        close: e.closeTime?.toISOString() ?? null,
        rids: e.requestIds,
        nodes: nodesJson(nodes),
        delPaths: deletePaths,
        tasks: tasksJson(tasks),
        delTasks: deleteTaskIds,
        curStatus: m.currentStatus ?? null,
        ...(m.visibility ? { vis: [visibilityJson(m.visibility)] } : {}),
        // Applied by chasm_write whenever the fence holds (migration 20261206T1400).
        ...(m.finishedTaskIds && m.finishedTaskIds.length > 0 ? { done: [...new Set(m.finishedTaskIds)] } : {}),
      },
      conditionFailed: () =>
        new ConcurrentUpdateError(`execution ${key.businessId}/${key.runId} is no longer at db version ${m.expectedDbVersion} (or was deleted)`),
    });
  }

  deleteExecution(lease: ShardLease, key: ExecutionKey): Promise<void> {
    return this.#writes.submit({
      lease,
      payload: { k: 'delete', ...keyJson(key) },
    });
  }

  async listNamespaceExecutions(namespaceId: string, shardIds: readonly number[], limit: number): Promise<readonly ExecutionRef[]> {
    if (shardIds.length === 0 || limit < 1) return [];
    // The primary key leads with namespace_id: an index range, however many other namespaces hold.
    return this.#db
      .selectFrom('executions')
      .select(['namespaceId', 'businessId', 'archetype', 'runId', 'shardId'])
      .where('namespaceId', '=', namespaceId)
      .where('shardId', 'in', [...shardIds])
      .limit(limit)
      .execute();
  }

  async scanTasks(scan: TaskScan): Promise<readonly TaskRow[]> {
    let q = this.#db
      .selectFrom('chasmTasks')
      .selectAll()
      .where('shardId', '=', scan.shardId)
      .where((eb) => eb.or([eb('fireAt', 'is', null), eb('fireAt', '<=', scan.dueBefore)]));
    const after = scan.after;
    if (after !== undefined) {
      q =
        after.fireAt === null
          ? q.where((eb) => eb.or([eb('fireAt', 'is not', null), eb('taskId', '>', after.taskId)]))
          : q.where((eb) =>
              eb.or([
                eb('fireAt', '>', after.fireAt),
                eb.and([eb('fireAt', '=', after.fireAt), eb('taskId', '>', after.taskId)]),
              ]),
            );
    }
    return q
      .orderBy('fireAt', (ob) => ob.asc().nullsFirst())
      .orderBy('taskId')
      .limit(scan.limit)
      .execute();
  }

  async deleteTasks(lease: ShardLease, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    await this.#writes.submit({
      lease,
      payload: { k: 'tasks', delTasks: [...new Set(taskIds)] },
    });
  }

  async writeVisibility(lease: ShardLease, records: readonly VisibilityRecord[], doneTaskIds: readonly string[]): Promise<void> {
    if (records.length === 0 && doneTaskIds.length === 0) return;
    // chasm_write's visibility format (snake_case recordset columns), not a row.
    const vis = dedupeVisibility(records).map(visibilityJson);
    await this.#writes.submit({
      lease,
      payload: { k: 'visibility', vis, delTasks: [...new Set(doneTaskIds)] },
    });
  }

  async listVisibility(query: VisibilityQuery): Promise<VisibilityPage> {
    if (!Number.isInteger(query.pageSize) || query.pageSize < 1) {
      throw new InvalidArgumentError('pageSize', `pageSize must be a positive integer, got ${query.pageSize}`);
    }
    const terms = orderTerms(query.orderBy);
    // One extra row tells whether another page exists without a count.
    const { rows } = await listVisibilitySql(query, terms).execute(this.#db);
    const records: VisibilityRecord[] = rows.slice(0, query.pageSize);
    const last = records[records.length - 1];
    return rows.length > query.pageSize && last !== undefined
      ? { records, nextPageToken: encodePageToken(terms, last) }
      : { records };
  }

  async countVisibility(query: Omit<VisibilityQuery, 'pageSize' | 'pageToken' | 'orderBy'>): Promise<number> {
    const { rows } = await countVisibilitySql(query).execute(this.#db);
    return Number(rows[0]?.n ?? 0);
  }

  /** The Database belongs to its opener, so there is nothing to release here. */
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// SQL pieces

function keyWhere(table: string, key: ExecutionKey): Sql {
  const t = sql.table(table);
  return sql`${t}.namespace_id = ${key.namespaceId}::text and ${t}.business_id = ${key.businessId}::text
    and ${t}.archetype = ${key.archetype}::text and ${t}.run_id = ${key.runId}::text`;
}

/** The execution key as `chasm_write` reads it. */
function keyJson(k: ExecutionKey): { ns: string; bid: string; arch: string; run: string } {
  return { ns: k.namespaceId, bid: k.businessId, arch: k.archetype, run: k.runId };
}

/** A visibility record as `chasm_write` reads it (snake_case recordset columns), not a row. */
function visibilityJson(r: VisibilityRecord): object {
  return {
    namespace_id: r.namespaceId,
    archetype: r.archetype,
    business_id: r.businessId,
    run_id: r.runId,
    status: r.status,
    start_time: r.startTime.toISOString(),
    close_time: r.closeTime?.toISOString() ?? null,
    search_attributes: r.searchAttributes,
    memo: r.memo === null ? null : toBase64(r.memo),
    transition_count: r.transitionCount,
  };
}

/** Nodes as `chasm_write` reads them (its recordset columns are snake_case). */
function nodesJson(nodes: readonly NodeRow[]): object[] {
  return nodes.map((n) => ({
    path: n.path,
    kind: n.kind,
    type_name: n.typeName,
    initial_tc: n.initialTc,
    last_update_tc: n.lastUpdateTc,
    data: toBase64(n.data),
  }));
}

/** Tasks as `chasm_write` reads them (its recordset columns are snake_case). */
function tasksJson(tasks: readonly TaskRow[]): object[] {
  return tasks.map((t) => ({
    shard_id: t.shardId,
    task_id: t.taskId,
    namespace_id: t.namespaceId,
    business_id: t.businessId,
    archetype: t.archetype,
    run_id: t.runId,
    kind: t.kind,
    type_name: t.typeName,
    path: t.path,
    component_initial_tc: t.componentInitialTc,
    created_tc: t.createdTc,
    fire_at: t.fireAt?.toISOString() ?? null,
    payload: toBase64(t.payload),
  }));
}

// ---------------------------------------------------------------------------------------------
// De-duplication: one statement must not write the same primary key twice.

function dedupeNodes(nodes: readonly NodeRow[]): NodeRow[] {
  return [...new Map(nodes.map((n) => [n.path, n])).values()];
}

function dedupeTasks(tasks: readonly TaskRow[]): TaskRow[] {
  return [...new Map(tasks.map((t) => [t.taskId, t])).values()];
}

/** Keeps the highest transition count per execution (the last one on ties). */
function dedupeVisibility(records: readonly VisibilityRecord[]): VisibilityRecord[] {
  const byKey = new Map<string, VisibilityRecord>();
  for (const r of records) {
    const k = JSON.stringify([r.namespaceId, r.archetype, r.businessId, r.runId]);
    const prev = byKey.get(k);
    if (prev === undefined || prev.transitionCount <= r.transitionCount) byKey.set(k, r);
  }
  return [...byKey.values()];
}

// ---------------------------------------------------------------------------------------------
// Reading the JSON of `loadExecution`

/** A node as `loadExecution` aggregates it (bytes in base64). */
interface JsonNode {
  path: string;
  kind: NodeKind;
  typeName: string;
  initialTc: number;
  lastUpdateTc: number;
  data: string;
}

/** A task as `loadExecution` aggregates it (its execution key is the loaded one's). */
interface JsonTask {
  shardId: number;
  taskId: string;
  kind: TaskKind;
  typeName: string;
  path: string;
  componentInitialTc: number;
  createdTc: number;
  fireAtMs: number | null;
  payload: string;
}

function keyOf(k: ExecutionKey): ExecutionKey {
  return { namespaceId: k.namespaceId, businessId: k.businessId, archetype: k.archetype, runId: k.runId };
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function fromBase64(s: string): Uint8Array {
  // Postgres' encode(…, 'base64') wraps lines; Buffer ignores the newlines.
  return Buffer.from(s, 'base64');
}
