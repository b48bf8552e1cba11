import { CamelCasePlugin, sql, type Kysely } from 'kysely';
import { TaskQueueOwnershipLostError } from '../errors.js';
import type { TaskQueueId } from '../matching-service.js';
import type { TaskQueueConfig } from '../queue/task-queue-config.js';
import type { MatchingDatabase, TaskQueuesRow, TaskQueueTasksRow } from './schema.js';
import type { TaskKey } from './task-key.js';

/** A task as stored in the backlog. */
export interface BacklogTask {
  readonly key: TaskKey;
  readonly fairnessKey: string;
  readonly fairnessWeight: number;
  readonly payload: Uint8Array;
  readonly expiry: Date | undefined;
  readonly createdAt: Date;
}

/** What a new owner needs to resume: the backlog size and the fairness state per level. */
export interface BacklogSummary {
  readonly countByPriority: ReadonlyMap<number, number>;
  /** Per level: the lowest pending pass (the head) and each key's highest pass. */
  readonly levels: ReadonlyMap<number, { readonly minPass: number; readonly maxPassByKey: Map<string, number> }>;
}

/**
 * The durable side of a task queue, one statement per call (so one commit each). Every write is
 * fenced by the caller's range id: the fence is an UPDATE of the queue row in the same
 * statement, which row-locks it, so a new owner's range bump waits for an in-flight write and
 * then reads it, and a stale owner's write inserts nothing.
 */
export class BacklogStore {
  readonly #db: Kysely<MatchingDatabase>;

  /** `db` may be shared with other stores: the camelCase mapping is this store's own plugin instance. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(db: Kysely<any>) {
    this.#db = (db as Kysely<MatchingDatabase>).withPlugin(new CamelCasePlugin({ maintainNestedObjectKeys: true }));
  }

  /** Takes ownership: creates the queue row or bumps its range id. Returns the new range id. */
  async acquire(q: TaskQueueId): Promise<{ rangeId: number; config: TaskQueueConfig | undefined }> {
    const r = await sql<Pick<TaskQueuesRow, 'rangeId' | 'config'>>`
      insert into task_queues (namespace_id, name, type, range_id) values (${q.namespaceId}, ${q.name}, ${q.type}, 1)
      on conflict (namespace_id, name, type)
      do update set range_id = task_queues.range_id + 1, updated_at = now()
      returning range_id, config`.execute(this.#db);
    const row = r.rows[0];
    if (!row) throw new Error(`task queue ${q.name}: acquire returned no row`);
    const config = parseConfig(row.config);
    return { rangeId: Number(row.rangeId), config };
  }

  /** Moves to the next id block, conditional on still owning `rangeId`. */
  async renewRange(q: TaskQueueId, rangeId: number): Promise<number> {
    const r = await sql<Pick<TaskQueuesRow, 'rangeId'>>`
      update task_queues set range_id = range_id + 1, updated_at = now()
      where namespace_id = ${q.namespaceId} and name = ${q.name} and type = ${q.type} and range_id = ${rangeId}
      returning range_id`.execute(this.#db);
    const row = r.rows[0];
    if (!row) throw new TaskQueueOwnershipLostError(q.name, rangeId);
    return Number(row.rangeId);
  }

  async saveConfig(q: TaskQueueId, rangeId: number, config: TaskQueueConfig): Promise<void> {
    const r = await sql`
      update task_queues set config = ${JSON.stringify(config)}::jsonb, updated_at = now()
      where namespace_id = ${q.namespaceId} and name = ${q.name} and type = ${q.type} and range_id = ${rangeId}`.execute(
      this.#db,
    );
    if (Number(r.numAffectedRows ?? 0) !== 1) throw new TaskQueueOwnershipLostError(q.name, rangeId);
  }

  /** Inserts a batch in one statement, fenced by `rangeId`. */
  async append(q: TaskQueueId, rangeId: number, tasks: readonly BacklogTask[]): Promise<void> {
    if (tasks.length === 0) return;
    const values = sql.join(
      tasks.map(
        (t) => sql`(${t.key.priority}::smallint, ${t.key.pass}::bigint, ${t.key.taskId}::bigint, ${t.fairnessKey}::text,
          ${t.fairnessWeight}::real, ${t.payload}::bytea, ${t.expiry ?? null}::timestamptz, ${t.createdAt}::timestamptz)`,
      ),
    );
    const r = await sql`
      with fence as (
        update task_queues set range_id = range_id
        where namespace_id = ${q.namespaceId} and name = ${q.name} and type = ${q.type} and range_id = ${rangeId}
        returning 1
      )
      insert into task_queue_tasks
        (namespace_id, queue_name, type, priority, pass, task_id, fairness_key, fairness_weight, payload, expiry, created_at)
      select ${q.namespaceId}, ${q.name}, ${q.type}, v.* from (values ${values})
        as v(priority, pass, task_id, fairness_key, fairness_weight, payload, expiry, created_at)
      where exists (select 1 from fence)`.execute(this.#db);
    if (Number(r.numAffectedRows ?? 0) !== tasks.length) throw new TaskQueueOwnershipLostError(q.name, rangeId);
  }

  /** The next `limit` tasks strictly after `after`, in dispatch order. */
  async read(q: TaskQueueId, after: TaskKey | undefined, limit: number): Promise<BacklogTask[]> {
    const from = after
      ? sql`and (priority, pass, task_id) > (${after.priority}::smallint, ${after.pass}::bigint, ${after.taskId}::bigint)`
      : sql``;
    const r = await sql<Omit<TaskQueueTasksRow, 'namespaceId' | 'queueName' | 'type'>>`
      select priority, pass, task_id, fairness_key, fairness_weight, payload, expiry, created_at
      from task_queue_tasks
      where namespace_id = ${q.namespaceId} and queue_name = ${q.name} and type = ${q.type} ${from}
      order by priority, pass, task_id
      limit ${limit}`.execute(this.#db);
    // Not a rename: the dispatch-order key is nested, and a missing expiry is undefined.
    return r.rows.map((row) => ({
      key: { priority: Number(row.priority), pass: Number(row.pass), taskId: Number(row.taskId) },
      fairnessKey: row.fairnessKey,
      fairnessWeight: Number(row.fairnessWeight),
      payload: row.payload,
      expiry: row.expiry ?? undefined,
      createdAt: row.createdAt,
    }));
  }

  /**
   * Deletes dispatched tasks by full key (an index lookup each). Not fenced: a task handed to a
   * poller is done whichever owner handed it over.
   */
  async delete(q: TaskQueueId, keys: readonly TaskKey[]): Promise<void> {
    if (keys.length === 0) return;
    const list = sql.join(keys.map((k) => sql`(${k.priority}::smallint, ${k.pass}::bigint, ${k.taskId}::bigint)`));
    await sql`
      delete from task_queue_tasks
      where namespace_id = ${q.namespaceId} and queue_name = ${q.name} and type = ${q.type}
        and (priority, pass, task_id) in (${list})`.execute(this.#db);
  }

  /**
   * Deletes up to `limit` rows of a deleted namespace: queue rows first, so an owner still
   * holding one of its queues fails its next fenced write instead of adding to the backlog, then
   * backlog tasks. Returns how many rows went; 0 means none is left.
   */
  async purgeNamespace(namespaceId: string, limit: number): Promise<number> {
    const queues = await sql`
      delete from task_queues where ctid in (select ctid from task_queues where namespace_id = ${namespaceId} limit ${limit})`.execute(this.#db);
    const gone = Number(queues.numAffectedRows ?? 0);
    if (gone >= limit) return gone;
    const tasks = await sql`
      delete from task_queue_tasks
      where ctid in (select ctid from task_queue_tasks where namespace_id = ${namespaceId} limit ${limit - gone})`.execute(this.#db);
    return gone + Number(tasks.numAffectedRows ?? 0);
  }

  async summary(q: TaskQueueId): Promise<BacklogSummary> {
    const r = await sql<{ priority: number; fairnessKey: string; n: number; minPass: number; maxPass: number }>`
      select priority, fairness_key, count(*)::bigint as n, min(pass) as min_pass, max(pass) as max_pass
      from task_queue_tasks
      where namespace_id = ${q.namespaceId} and queue_name = ${q.name} and type = ${q.type}
      group by priority, fairness_key`.execute(this.#db);
    const countByPriority = new Map<number, number>();
    const levels = new Map<number, { minPass: number; maxPassByKey: Map<string, number> }>();
    for (const row of r.rows) {
      const p = Number(row.priority);
      countByPriority.set(p, (countByPriority.get(p) ?? 0) + Number(row.n));
      let level = levels.get(p);
      if (!level) levels.set(p, (level = { minPass: Number(row.minPass), maxPassByKey: new Map() }));
      level.minPass = Math.min(level.minPass, Number(row.minPass));
      level.maxPassByKey.set(row.fairnessKey, Number(row.maxPass));
    }
    return { countByPriority, levels };
  }
}

function parseConfig(raw: unknown): TaskQueueConfig | undefined {
  const v = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (typeof v !== 'object' || v === null || !('fairnessWeightOverrides' in v)) return undefined;
  return v as TaskQueueConfig;
}
