import {
  ConcurrentUpdateError,
  CurrentExecutionChangedError,
  ShardOwnershipLostError,
} from '../errors.js';
import { evaluateFilter } from '../visibility/evaluate-filter.js';
import type {
  CommitMutation,
  CreateExecution,
  CurrentExecutionRow,
  ExecutionKey,
  ExecutionRef,
  ExecutionRow,
  ExecutionStore,
  LoadedExecution,
  NodeRow,
  ShardLease,
  TaskRow,
  TaskScan,
  VisibilityPage,
  VisibilityQuery,
  VisibilityRecord,
} from '../persistence/store.js';

const bk = (ns: string, id: string, arch: string): string => `${ns}\u0000${id}\u0000${arch}`;
const ek = (k: ExecutionKey): string => `${k.namespaceId}\u0000${k.businessId}\u0000${k.archetype}\u0000${k.runId}`;

/**
 * An in-memory ExecutionStore with the same semantics as the database one, fencing included,
 * for fast unit tests. It also counts commits, like `xact_commit` on Postgres.
 */
export class MemoryExecutionStore implements ExecutionStore {
  private readonly ranges = new Map<number, number>();
  private readonly executions = new Map<string, { row: ExecutionRow; nodes: Map<string, NodeRow> }>();
  private readonly current = new Map<string, CurrentExecutionRow>();
  private readonly tasks = new Map<number, Map<string, TaskRow>>();
  private readonly visibility = new Map<string, VisibilityRecord>();
  /** Write transactions performed. */
  writes = 0;

  constructor(readonly shardCount = 4) {
    for (let s = 0; s < shardCount; s++) {
      this.ranges.set(s, 0);
      this.tasks.set(s, new Map());
    }
  }

  async acquireShard(shardId: number): Promise<ShardLease> {
    const rangeId = (this.ranges.get(shardId) ?? 0) + 1;
    this.ranges.set(shardId, rangeId);
    return { shardId, rangeId };
  }

  private fence(lease: ShardLease): void {
    if (this.ranges.get(lease.shardId) !== lease.rangeId) throw new ShardOwnershipLostError(lease.shardId, lease.rangeId);
  }

  async getCurrentExecution(namespaceId: string, businessId: string, archetype: string): Promise<CurrentExecutionRow | undefined> {
    return this.current.get(bk(namespaceId, businessId, archetype));
  }

  async loadExecution(key: ExecutionKey): Promise<LoadedExecution | undefined> {
    const e = this.executions.get(ek(key));
    if (!e) return undefined;
    const tasks = [...(this.tasks.get(e.row.shardId)?.values() ?? [])].filter((t) => ek(t) === ek(key));
    return { execution: e.row, nodes: [...e.nodes.values()], tasks };
  }

  async createExecution(req: CreateExecution): Promise<void> {
    this.fence(req.lease);
    const x = req.execution;
    const cur = this.current.get(bk(x.namespaceId, x.businessId, x.archetype));
    if (req.current.mode === 'create' ? cur !== undefined : cur?.runId !== req.current.previousRunId) {
      throw new CurrentExecutionChangedError();
    }
    this.writes++;
    this.executions.set(ek(x), { row: x, nodes: new Map(req.nodes.map((n) => [n.path, n])) });
    this.current.set(bk(x.namespaceId, x.businessId, x.archetype), {
      namespaceId: x.namespaceId, businessId: x.businessId, archetype: x.archetype, runId: x.runId,
      status: x.status, startRequestId: x.startRequestId,
    });
    for (const t of req.tasks) this.tasks.get(t.shardId)!.set(t.taskId, t);
    if (req.visibility) this.#putVisibility(req.visibility);
  }

  #putVisibility(r: VisibilityRecord): void {
    const old = this.visibility.get(ek(r));
    if (!old || old.transitionCount <= r.transitionCount) this.visibility.set(ek(r), r);
  }

  async commit(m: CommitMutation): Promise<void> {
    this.fence(m.lease);
    // Deleted whenever the fence holds, as chasm_write does (ADR 0039).
    for (const id of m.finishedTaskIds ?? []) this.tasks.get(m.lease.shardId)?.delete(id);
    const e = this.executions.get(ek(m.key));
    if (!e || e.row.dbVersion !== m.expectedDbVersion) throw new ConcurrentUpdateError();
    this.writes++;
    e.row = m.execution;
    for (const p of m.deletePaths) e.nodes.delete(p);
    for (const n of m.upsertNodes) e.nodes.set(n.path, n);
    const shardTasks = this.tasks.get(m.execution.shardId)!;
    for (const id of m.deleteTaskIds) shardTasks.delete(id);
    for (const t of m.insertTasks) shardTasks.set(t.taskId, t);
    if (m.currentStatus) {
      const k = bk(m.key.namespaceId, m.key.businessId, m.key.archetype);
      const cur = this.current.get(k);
      if (cur?.runId === m.key.runId) this.current.set(k, { ...cur, status: m.currentStatus });
    }
    if (m.visibility) this.#putVisibility(m.visibility);
  }

  async deleteExecution(lease: ShardLease, key: ExecutionKey): Promise<void> {
    this.fence(lease);
    this.writes++;
    this.executions.delete(ek(key));
    const k = bk(key.namespaceId, key.businessId, key.archetype);
    if (this.current.get(k)?.runId === key.runId) this.current.delete(k);
    const shardTasks = this.tasks.get(lease.shardId)!;
    for (const [id, t] of shardTasks) if (ek(t) === ek(key)) shardTasks.delete(id);
    this.visibility.delete(ek(key));
  }

  async listNamespaceExecutions(namespaceId: string, shardIds: readonly number[], limit: number): Promise<readonly ExecutionRef[]> {
    const shards = new Set(shardIds);
    const out: ExecutionRef[] = [];
    for (const { row } of this.executions.values()) {
      if (out.length >= limit) break;
      if (row.namespaceId !== namespaceId || !shards.has(row.shardId)) continue;
      out.push({ namespaceId: row.namespaceId, businessId: row.businessId, archetype: row.archetype, runId: row.runId, shardId: row.shardId });
    }
    return out;
  }

  async scanTasks(scan: TaskScan): Promise<readonly TaskRow[]> {
    const due = scan.dueBefore.getTime();
    const order = (t: { fireAt: Date | null; taskId: string }): [number, string] => [t.fireAt?.getTime() ?? -1, t.taskId];
    const cmp = (a: [number, string], b: [number, string]): number => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
    return [...(this.tasks.get(scan.shardId)?.values() ?? [])]
      .filter((t) => (t.fireAt?.getTime() ?? -1) <= due)
      .filter((t) => !scan.after || cmp(order(t), order(scan.after)) > 0)
      .sort((a, b) => cmp(order(a), order(b)))
      .slice(0, scan.limit);
  }

  async deleteTasks(lease: ShardLease, taskIds: readonly string[]): Promise<void> {
    this.fence(lease);
    if (taskIds.length === 0) return;
    this.writes++;
    for (const id of taskIds) this.tasks.get(lease.shardId)!.delete(id);
  }

  async writeVisibility(lease: ShardLease, records: readonly VisibilityRecord[], doneTaskIds: readonly string[]): Promise<void> {
    this.fence(lease);
    this.writes++;
    for (const r of records) this.#putVisibility(r);
    for (const id of doneTaskIds) this.tasks.get(lease.shardId)!.delete(id);
  }

  async listVisibility(q: VisibilityQuery): Promise<VisibilityPage> {
    const rows = this.matching(q).sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || (a.runId < b.runId ? -1 : 1));
    const offset = q.pageToken ? Number(Buffer.from(q.pageToken, 'base64').toString()) : 0;
    const page = rows.slice(offset, offset + q.pageSize);
    const next = offset + q.pageSize < rows.length ? Buffer.from(String(offset + q.pageSize)).toString('base64') : undefined;
    return next ? { records: page, nextPageToken: next } : { records: page };
  }

  async countVisibility(q: Omit<VisibilityQuery, 'pageSize' | 'pageToken' | 'orderBy'>): Promise<number> {
    return this.matching(q).length;
  }

  async close(): Promise<void> {}

  /** Test helper: every task row still stored. */
  allTasks(): TaskRow[] {
    return [...this.tasks.values()].flatMap((m) => [...m.values()]);
  }

  private matching(q: Pick<VisibilityQuery, 'namespaceId' | 'archetype' | 'filter'>): VisibilityRecord[] {
    return [...this.visibility.values()].filter(
      (r) => r.namespaceId === q.namespaceId && r.archetype === q.archetype && (!q.filter || evaluateFilter(q.filter, (field) => fieldValue(r, field))),
    );
  }
}

function fieldValue(r: VisibilityRecord, field: string): unknown {
  switch (field) {
    case 'BusinessId': return r.businessId;
    case 'RunId': return r.runId;
    case 'Status': case 'ExecutionStatus': return r.status;
    case 'StartTime': return r.startTime;
    case 'CloseTime': return r.closeTime;
    default: return r.searchAttributes[field] ?? null;
  }
}
