import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  ChasmError,
  ConcurrentUpdateError,
  CurrentExecutionChangedError,
  ErrorCode,
  InvalidArgumentError,
  ShardOwnershipLostError,
} from '../errors.js';
import { migrate, type Database } from './database.js';
import { CORE_MIGRATION_TABLE, coreMigrations } from './migrations/index.js';
import type { ChasmTasksRow, CoreDatabase, ExecutionsRow, VisibilityRow } from './schema.js';
import type {
  CommitMutation,
  CreateExecution,
  CurrentExecutionRow,
  ExecutionKey,
  ExecutionRow,
  ExecutionStatus,
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
import { WriteBatcher, type WriteBatcherOptions } from './write-batcher.js';
import { afterTokenSql, encodePageToken, filterSql, orderSql, orderTerms } from './visibility-sql.js';

type Sql = RawBuilder<unknown>;

export interface StoreOptions {
  readonly shardCount: number;
  /** Group commit: write statements in flight at once (default 3 on Postgres, 1 on PGlite). */
  readonly maxWritesInFlight?: number;
  /** Group commit: writes joined into one statement at most (default 64; 1 turns joining off). */
  readonly maxWritesPerStatement?: number;
}

/**
 * `ExecutionStore` on Postgres (`pg`) and PGlite through Kysely.
 *
 * Every write is ONE SQL statement built from data-modifying CTEs, so it is atomic on its own
 * (no BEGIN/COMMIT) and costs one round trip; under load, writes that queue up while others are
 * in flight are joined into one statement (group commit, see `WriteBatcher`), each with its own
 * conditions. The first CTE is the fence,
 * `select 1 from shards where shard_id = $ and range_id = $ for share`: the share lock conflicts
 * with `acquireShard`'s UPDATE, so a steal either waits for an in-flight write to commit or
 * commits first, in which case the fence re-checks the new row version, finds no match and every
 * CTE that depends on it writes nothing. The final SELECT reports which condition failed.
 *
 * Collections (nodes, tasks, ids) travel as one jsonb parameter each and are expanded with
 * `jsonb_to_recordset`: the statement text does not grow with the batch and never hits the
 * 65535-parameter limit. Bytes travel base64-encoded inside that JSON.
 *
 * Postgres evaluates all CTEs against one snapshot, so a statement must never touch the same
 * row twice: batches are de-duplicated here first (see `dedupe*`).
 *
 * The store does not own the `Database`: whoever opened it closes it.
 */
export class KyselyExecutionStore implements ExecutionStore {
  readonly #db: Kysely<CoreDatabase>;
  readonly #writes: WriteBatcher;

  private constructor(
    db: Kysely<CoreDatabase>,
    readonly shardCount: number,
    batching: WriteBatcherOptions,
  ) {
    this.#db = db;
    this.#writes = new WriteBatcher(db as Kysely<unknown>, batching);
  }

  /** Write statements sent and writes they carried (writes / statements = the group-commit factor). */
  get writeStats(): { readonly statements: number; readonly writes: number; readonly isolations: number } {
    return { statements: this.#writes.statements, writes: this.#writes.writes, isolations: this.#writes.isolations };
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
    return new KyselyExecutionStore(database.db as Kysely<CoreDatabase>, shardCount, { maxInFlight, maxBatch });
  }

  async init(database: Database): Promise<void> {
    const shardCount = this.shardCount;
    await migrate(database, CORE_MIGRATION_TABLE, coreMigrations);
    const db = this.#db;
    // First opener wins; everyone else must agree, because executions are already hashed to shards.
    await db
      .insertInto('cluster_metadata')
      .values({ key: 'shard_count', value: JSON.stringify(shardCount) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await db.selectFrom('cluster_metadata').select('value').where('key', '=', 'shard_count').executeTakeFirstOrThrow();
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
      .set((eb) => ({ range_id: eb('range_id', '+', 1), owner, updated_at: sql<Date>`now()` }))
      .where('shard_id', '=', shardId)
      .returning('range_id')
      .executeTakeFirst();
    if (row === undefined) throw new InvalidArgumentError('shardId', `shardId ${shardId} is not in [0, ${this.shardCount})`);
    return { shardId, rangeId: row.range_id };
  }

  async getCurrentExecution(namespaceId: string, businessId: string, archetype: string): Promise<CurrentExecutionRow | undefined> {
    const row = await this.#db
      .selectFrom('current_executions')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('business_id', '=', businessId)
      .where('archetype', '=', archetype)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      namespaceId: row.namespace_id,
      businessId: row.business_id,
      archetype: row.archetype,
      runId: row.run_id,
      status: row.status as ExecutionStatus,
      startRequestId: row.start_request_id,
    };
  }

  /** One statement (one snapshot): the execution row with its nodes and tasks aggregated as JSON. */
  async loadExecution(key: ExecutionKey): Promise<LoadedExecution | undefined> {
    const { rows } = await sql<ExecutionsRow & { nodes: JsonNode[]; tasks: JsonTask[] }>`
      select e.*,
        (select coalesce(json_agg(json_build_object(
            'path', n.path, 'kind', n.kind, 'type_name', n.type_name, 'initial_tc', n.initial_tc,
            'last_update_tc', n.last_update_tc, 'data', encode(n.data, 'base64')) order by n.path), '[]')
          from chasm_nodes n
          where n.namespace_id = e.namespace_id and n.business_id = e.business_id
            and n.archetype = e.archetype and n.run_id = e.run_id) as nodes,
        (select coalesce(json_agg(json_build_object(
            'shard_id', t.shard_id, 'task_id', t.task_id, 'kind', t.kind, 'type_name', t.type_name,
            'path', t.path, 'component_initial_tc', t.component_initial_tc, 'created_tc', t.created_tc,
            'fire_at_ms', round(extract(epoch from t.fire_at) * 1000)::bigint,
            'payload', encode(t.payload, 'base64')) order by t.fire_at nulls first, t.task_id), '[]')
          from chasm_tasks t
          where t.namespace_id = e.namespace_id and t.business_id = e.business_id
            and t.archetype = e.archetype and t.run_id = e.run_id) as tasks
      from executions e
      where ${keyWhere('e', key)}`.execute(this.#db);
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      execution: toExecutionRow(row),
      nodes: row.nodes.map((n) => ({
        path: n.path,
        kind: n.kind as NodeKind,
        typeName: n.type_name,
        initialTc: Number(n.initial_tc),
        lastUpdateTc: Number(n.last_update_tc),
        data: fromBase64(n.data),
      })),
      tasks: row.tasks.map((t) => ({
        namespaceId: key.namespaceId,
        businessId: key.businessId,
        archetype: key.archetype,
        runId: key.runId,
        shardId: t.shard_id,
        taskId: t.task_id,
        kind: t.kind as TaskKind,
        typeName: t.type_name,
        path: t.path,
        componentInitialTc: Number(t.component_initial_tc),
        createdTc: Number(t.created_tc),
        fireAt: t.fire_at_ms === null ? null : new Date(Number(t.fire_at_ms)),
        payload: fromBase64(t.payload),
      })),
    };
  }

  createExecution(req: CreateExecution): Promise<void> {
    const e = req.execution;
    const nodes = dedupeNodes(req.nodes);
    const tasks = dedupeTasks(req.tasks);
    return this.#writes.submit({
      lease: req.lease,
      keys: [executionKeyOf(e), currentKeyOf(e), ...tasks.map((t) => taskKeyOf(t.shardId, t.taskId))],
      build: (fence, s) => {
        const f = sql.table(fence);
        const cur =
          req.current.mode === 'create'
            ? sql`insert into current_executions (namespace_id, business_id, archetype, run_id, status, start_request_id)
                select ${e.namespaceId}::text, ${e.businessId}::text, ${e.archetype}::text, ${e.runId}::text, ${e.status}::text, ${e.startRequestId}::text
                where exists (select 1 from ${f})
                on conflict (namespace_id, business_id, archetype) do nothing
                returning 1`
            : sql`update current_executions
                set run_id = ${e.runId}::text, status = ${e.status}::text, start_request_id = ${e.startRequestId}::text
                where namespace_id = ${e.namespaceId}::text and business_id = ${e.businessId}::text and archetype = ${e.archetype}::text
                  and run_id = ${req.current.previousRunId}::text and exists (select 1 from ${f})
                returning 1`;
        const ctes: Sql[] = [
          sql`${sql.table(`cur${s}`)} as (${cur})`,
          sql`${sql.table(`ex${s}`)} as (
            insert into executions (namespace_id, business_id, archetype, run_id, shard_id, status, transition_count,
              db_version, start_time, close_time, start_request_id, request_ids)
            select ${e.namespaceId}::text, ${e.businessId}::text, ${e.archetype}::text, ${e.runId}::text, ${e.shardId}::int,
              ${e.status}::text, ${e.transitionCount}::bigint, ${e.dbVersion}::bigint, ${e.startTime.toISOString()}::timestamptz,
              ${e.closeTime?.toISOString() ?? null}::timestamptz, ${e.startRequestId}::text, ${JSON.stringify(e.requestIds)}::jsonb
            where exists (select 1 from ${sql.table(`cur${s}`)})
            returning 1)`,
        ];
        if (nodes.length > 0) ctes.push(sql`${sql.table(`up_nodes${s}`)} as (${upsertNodesSql(e, nodes, `ex${s}`)})`);
        if (tasks.length > 0) ctes.push(sql`${sql.table(`ins_tasks${s}`)} as (${insertTasksSql(tasks, `ex${s}`)})`);
        return { ctes, checks: [`cur${s}`] };
      },
      finish: (has, fence, s) => {
        if (!has(fence)) throw new ShardOwnershipLostError(req.lease.shardId, req.lease.rangeId);
        if (!has(`cur${s}`)) {
          throw new CurrentExecutionChangedError(
            req.current.mode === 'create'
              ? `a current execution already exists for ${e.businessId} (${e.archetype})`
              : `the current execution of ${e.businessId} (${e.archetype}) is no longer ${req.current.previousRunId}`,
          );
        }
      },
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
    const keys = [executionKeyOf(key), ...tasks.map((t) => taskKeyOf(t.shardId, t.taskId)), ...deleteTaskIds.map((id) => taskKeyOf(m.lease.shardId, id))];
    if (m.currentStatus !== undefined) keys.push(currentKeyOf(key));
    return this.#writes.submit({
      lease: m.lease,
      keys,
      build: (fence, s) => {
        const ex = `ex${s}`;
        const ctes: Sql[] = [
          sql`${sql.table(ex)} as (
            update executions set
              status = ${e.status}::text,
              transition_count = ${e.transitionCount}::bigint,
              db_version = ${m.expectedDbVersion + 1}::bigint,
              close_time = ${e.closeTime?.toISOString() ?? null}::timestamptz,
              request_ids = ${JSON.stringify(e.requestIds)}::jsonb
            where ${keyWhere('executions', key)} and db_version = ${m.expectedDbVersion}::bigint
              and exists (select 1 from ${sql.table(fence)})
            returning 1)`,
        ];
        if (nodes.length > 0) ctes.push(sql`${sql.table(`up_nodes${s}`)} as (${upsertNodesSql(key, nodes, ex)})`);
        if (deletePaths.length > 0) {
          ctes.push(sql`${sql.table(`del_nodes${s}`)} as (
            delete from chasm_nodes where ${keyWhere('chasm_nodes', key)}
              and path in (select jsonb_array_elements_text(${JSON.stringify(deletePaths)}::jsonb))
              and exists (select 1 from ${sql.table(ex)}))`);
        }
        if (tasks.length > 0) ctes.push(sql`${sql.table(`ins_tasks${s}`)} as (${insertTasksSql(tasks, ex)})`);
        if (deleteTaskIds.length > 0) ctes.push(sql`${sql.table(`del_tasks${s}`)} as (${deleteTasksSql(m.lease.shardId, deleteTaskIds, ex)})`);
        if (m.currentStatus !== undefined) {
          ctes.push(sql`${sql.table(`cur${s}`)} as (
            update current_executions set status = ${m.currentStatus}::text
            where namespace_id = ${key.namespaceId}::text and business_id = ${key.businessId}::text
              and archetype = ${key.archetype}::text and run_id = ${key.runId}::text
              and exists (select 1 from ${sql.table(ex)}))`);
        }
        return { ctes, checks: [ex] };
      },
      finish: (has, fence, s) => {
        if (!has(fence)) throw new ShardOwnershipLostError(m.lease.shardId, m.lease.rangeId);
        if (!has(`ex${s}`)) {
          throw new ConcurrentUpdateError(
            `execution ${key.businessId}/${key.runId} is no longer at db version ${m.expectedDbVersion} (or was deleted)`,
          );
        }
      },
    });
  }

  deleteExecution(lease: ShardLease, key: ExecutionKey): Promise<void> {
    return this.#writes.submit({
      lease,
      keys: [executionKeyOf(key), currentKeyOf(key), visibilityKeyOf(key)],
      build: (fence, s) => {
        const fenced = sql`exists (select 1 from ${sql.table(fence)})`;
        return {
          ctes: [
            sql`${sql.table(`del_ex${s}`)} as (delete from executions where ${keyWhere('executions', key)} and ${fenced})`,
            sql`${sql.table(`del_nodes${s}`)} as (delete from chasm_nodes where ${keyWhere('chasm_nodes', key)} and ${fenced})`,
            sql`${sql.table(`del_tasks${s}`)} as (delete from chasm_tasks where ${keyWhere('chasm_tasks', key)} and ${fenced})`,
            sql`${sql.table(`del_vis${s}`)} as (delete from visibility where ${keyWhere('visibility', key)} and ${fenced})`,
            sql`${sql.table(`del_cur${s}`)} as (delete from current_executions
              where namespace_id = ${key.namespaceId}::text and business_id = ${key.businessId}::text
                and archetype = ${key.archetype}::text and run_id = ${key.runId}::text and ${fenced})`,
          ],
          checks: [],
        };
      },
      finish: (has, fence) => {
        if (!has(fence)) throw new ShardOwnershipLostError(lease.shardId, lease.rangeId);
      },
    });
  }

  async scanTasks(scan: TaskScan): Promise<readonly TaskRow[]> {
    let q = this.#db
      .selectFrom('chasm_tasks')
      .selectAll()
      .where('shard_id', '=', scan.shardId)
      .where((eb) => eb.or([eb('fire_at', 'is', null), eb('fire_at', '<=', scan.dueBefore)]));
    const after = scan.after;
    if (after !== undefined) {
      q =
        after.fireAt === null
          ? q.where((eb) => eb.or([eb('fire_at', 'is not', null), eb('task_id', '>', after.taskId)]))
          : q.where((eb) =>
              eb.or([
                eb('fire_at', '>', after.fireAt),
                eb.and([eb('fire_at', '=', after.fireAt), eb('task_id', '>', after.taskId)]),
              ]),
            );
    }
    const rows = await q
      .orderBy('fire_at', (ob) => ob.asc().nullsFirst())
      .orderBy('task_id')
      .limit(scan.limit)
      .execute();
    return rows.map(toTaskRow);
  }

  async deleteTasks(lease: ShardLease, taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    const ids = [...new Set(taskIds)];
    await this.#writes.submit({
      lease,
      keys: ids.map((id) => taskKeyOf(lease.shardId, id)),
      build: (fence, s) => ({
        ctes: [sql`${sql.table(`del_tasks${s}`)} as (${deleteTasksSql(lease.shardId, ids, fence)})`],
        checks: [],
      }),
      finish: (has, fence) => {
        if (!has(fence)) throw new ShardOwnershipLostError(lease.shardId, lease.rangeId);
      },
    });
  }

  async writeVisibility(lease: ShardLease, records: readonly VisibilityRecord[], doneTaskIds: readonly string[]): Promise<void> {
    if (records.length === 0 && doneTaskIds.length === 0) return;
    const latest = dedupeVisibility(records);
    const ids = [...new Set(doneTaskIds)];
    const json = JSON.stringify(
      latest.map((r) => ({
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
      })),
    );
    await this.#writes.submit({
      lease,
      keys: [...latest.map(visibilityKeyOf), ...ids.map((id) => taskKeyOf(lease.shardId, id))],
      build: (fence, s) => {
        const ctes: Sql[] = [];
        if (latest.length > 0) {
          // Older records never overwrite newer ones; an equal count rewrites (idempotent retries).
          ctes.push(sql`${sql.table(`up_vis${s}`)} as (
            insert into visibility (namespace_id, archetype, business_id, run_id, status, start_time, close_time,
              search_attributes, memo, transition_count)
            select r.namespace_id, r.archetype, r.business_id, r.run_id, r.status, r.start_time, r.close_time,
              coalesce(r.search_attributes, '{}'::jsonb), decode(r.memo, 'base64'), r.transition_count
            from jsonb_to_recordset(${json}::jsonb) as r(namespace_id text, archetype text, business_id text, run_id text,
              status text, start_time timestamptz, close_time timestamptz, search_attributes jsonb, memo text,
              transition_count bigint)
            where exists (select 1 from ${sql.table(fence)})
            on conflict (namespace_id, archetype, business_id, run_id) do update set
              status = excluded.status, start_time = excluded.start_time, close_time = excluded.close_time,
              search_attributes = excluded.search_attributes, memo = excluded.memo,
              transition_count = excluded.transition_count
            where visibility.transition_count <= excluded.transition_count)`);
        }
        if (ids.length > 0) ctes.push(sql`${sql.table(`del_tasks${s}`)} as (${deleteTasksSql(lease.shardId, ids, fence)})`);
        return { ctes, checks: [] };
      },
      finish: (has, fence) => {
        if (!has(fence)) throw new ShardOwnershipLostError(lease.shardId, lease.rangeId);
      },
    });
  }

  async listVisibility(query: VisibilityQuery): Promise<VisibilityPage> {
    if (!Number.isInteger(query.pageSize) || query.pageSize < 1) {
      throw new InvalidArgumentError('pageSize', `pageSize must be a positive integer, got ${query.pageSize}`);
    }
    const terms = orderTerms(query.orderBy);
    // One extra row tells whether another page exists without a count.
    const { rows } = await sql<VisibilityRow>`
      select * from visibility
      where visibility.namespace_id = ${query.namespaceId}::text and visibility.archetype = ${query.archetype}::text
        and (${filterSql(query.filter)}) and ${afterTokenSql(terms, query.pageToken)}
      order by ${orderSql(terms)}
      limit ${query.pageSize + 1}::int`.execute(this.#db);
    const records = rows.slice(0, query.pageSize).map(toVisibilityRecord);
    const last = records[records.length - 1];
    return rows.length > query.pageSize && last !== undefined
      ? { records, nextPageToken: encodePageToken(terms, last) }
      : { records };
  }

  async countVisibility(query: Omit<VisibilityQuery, 'pageSize' | 'pageToken' | 'orderBy'>): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from visibility
      where visibility.namespace_id = ${query.namespaceId}::text and visibility.archetype = ${query.archetype}::text
        and (${filterSql(query.filter)})`.execute(this.#db);
    return Number(rows[0]?.n ?? 0);
  }

  /** The Database belongs to its opener, so there is nothing to release here. */
  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// SQL pieces

/** Conflict keys of the write batcher: rows one statement may touch at most once. */
function executionKeyOf(k: ExecutionKey): string {
  return JSON.stringify(['x', k.namespaceId, k.businessId, k.archetype, k.runId]);
}
function currentKeyOf(k: ExecutionKey): string {
  return JSON.stringify(['c', k.namespaceId, k.businessId, k.archetype]);
}
function visibilityKeyOf(k: ExecutionKey): string {
  return JSON.stringify(['v', k.namespaceId, k.businessId, k.archetype, k.runId]);
}
function taskKeyOf(shardId: number, taskId: string): string {
  return `t${shardId}/${taskId}`;
}

function keyWhere(table: string, key: ExecutionKey): Sql {
  const t = sql.table(table);
  return sql`${t}.namespace_id = ${key.namespaceId}::text and ${t}.business_id = ${key.businessId}::text
    and ${t}.archetype = ${key.archetype}::text and ${t}.run_id = ${key.runId}::text`;
}

/** Upserts nodes; when `gate` is given, only if that CTE produced a row. */
function upsertNodesSql(key: ExecutionKey, nodes: readonly NodeRow[], gate = 'ex'): Sql {
  const json = JSON.stringify(
    nodes.map((n) => ({
      path: n.path,
      kind: n.kind,
      type_name: n.typeName,
      initial_tc: n.initialTc,
      last_update_tc: n.lastUpdateTc,
      data: toBase64(n.data),
    })),
  );
  return sql`insert into chasm_nodes (namespace_id, business_id, archetype, run_id, path, kind, type_name,
      initial_tc, last_update_tc, data)
    select ${key.namespaceId}::text, ${key.businessId}::text, ${key.archetype}::text, ${key.runId}::text,
      n.path, n.kind, n.type_name, n.initial_tc, n.last_update_tc, decode(n.data, 'base64')
    from jsonb_to_recordset(${json}::jsonb) as n(path text, kind text, type_name text, initial_tc bigint,
      last_update_tc bigint, data text)
    where exists (select 1 from ${sql.table(gate)})
    on conflict (namespace_id, business_id, archetype, run_id, path) do update set
      kind = excluded.kind, type_name = excluded.type_name, initial_tc = excluded.initial_tc,
      last_update_tc = excluded.last_update_tc, data = excluded.data`;
}

function insertTasksSql(tasks: readonly TaskRow[], gate = 'ex'): Sql {
  const json = JSON.stringify(
    tasks.map((t) => ({
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
    })),
  );
  return sql`insert into chasm_tasks (shard_id, task_id, namespace_id, business_id, archetype, run_id, kind,
      type_name, path, component_initial_tc, created_tc, fire_at, payload)
    select t.shard_id, t.task_id, t.namespace_id, t.business_id, t.archetype, t.run_id, t.kind, t.type_name,
      t.path, t.component_initial_tc, t.created_tc, t.fire_at, decode(t.payload, 'base64')
    from jsonb_to_recordset(${json}::jsonb) as t(shard_id int, task_id text, namespace_id text, business_id text,
      archetype text, run_id text, kind text, type_name text, path text, component_initial_tc bigint,
      created_tc bigint, fire_at timestamptz, payload text)
    where exists (select 1 from ${sql.table(gate)})`;
}

function deleteTasksSql(shardId: number, taskIds: readonly string[], gate: string): Sql {
  return sql`delete from chasm_tasks
    where shard_id = ${shardId}::int
      and task_id in (select jsonb_array_elements_text(${JSON.stringify(taskIds)}::jsonb))
      and exists (select 1 from ${sql.table(gate)})`;
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
// Row mapping

interface JsonNode {
  path: string;
  kind: string;
  type_name: string;
  initial_tc: number | string;
  last_update_tc: number | string;
  data: string;
}

interface JsonTask {
  shard_id: number;
  task_id: string;
  kind: string;
  type_name: string;
  path: string;
  component_initial_tc: number | string;
  created_tc: number | string;
  fire_at_ms: number | string | null;
  payload: string;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function fromBase64(s: string): Uint8Array {
  // Postgres' encode(…, 'base64') wraps lines; Buffer ignores the newlines.
  return Buffer.from(s, 'base64');
}

function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

function toExecutionRow(r: ExecutionsRow): ExecutionRow {
  return {
    namespaceId: r.namespace_id,
    businessId: r.business_id,
    archetype: r.archetype,
    runId: r.run_id,
    shardId: r.shard_id,
    status: r.status as ExecutionStatus,
    transitionCount: Number(r.transition_count),
    dbVersion: Number(r.db_version),
    startTime: toDate(r.start_time),
    closeTime: r.close_time === null ? null : toDate(r.close_time),
    startRequestId: r.start_request_id,
    requestIds: r.request_ids,
  };
}

function toTaskRow(r: ChasmTasksRow): TaskRow {
  return {
    namespaceId: r.namespace_id,
    businessId: r.business_id,
    archetype: r.archetype,
    runId: r.run_id,
    shardId: r.shard_id,
    taskId: r.task_id,
    kind: r.kind as TaskKind,
    typeName: r.type_name,
    path: r.path,
    componentInitialTc: Number(r.component_initial_tc),
    createdTc: Number(r.created_tc),
    fireAt: r.fire_at === null ? null : toDate(r.fire_at),
    payload: r.payload,
  };
}

function toVisibilityRecord(r: VisibilityRow): VisibilityRecord {
  return {
    namespaceId: r.namespace_id,
    archetype: r.archetype,
    businessId: r.business_id,
    runId: r.run_id,
    status: r.status as ExecutionStatus,
    startTime: toDate(r.start_time),
    closeTime: r.close_time === null ? null : toDate(r.close_time),
    searchAttributes: r.search_attributes,
    memo: r.memo,
    transitionCount: Number(r.transition_count),
  };
}
