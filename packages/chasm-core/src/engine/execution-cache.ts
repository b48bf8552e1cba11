import type { CurrentExecutionRow, ExecutionKey, ExecutionRow } from '../persistence/store.js';
import type { Tree } from '../tree/tree.js';

/** A loaded execution, owned by this node while its shard lease holds. */
export interface CachedExecution {
  row: ExecutionRow;
  readonly tree: Tree;
  /** Fingerprint of the last visibility record scheduled, to write only on change. */
  visibilityFingerprint: string | undefined;
  /** Outstanding visibility task ids; a newer one supersedes (and deletes) them. */
  visibilityTaskIds: string[];
}

export const businessKey = (namespaceId: string, businessId: string, archetype: string): string =>
  `${namespaceId}\u0000${businessId}\u0000${archetype}`;
export const executionKeyString = (k: ExecutionKey): string =>
  `${k.namespaceId}\u0000${k.businessId}\u0000${k.archetype}\u0000${k.runId}`;

/**
 * Executions and current-run pointers cached per node. Safe because this node is the only
 * writer of its shards: if another node takes a shard, our next write fails its fence and the
 * engine drops everything cached for it.
 */
export class ExecutionCache {
  private readonly executions = new Map<string, CachedExecution>();
  private readonly current = new Map<string, CurrentExecutionRow>();

  constructor(private readonly maxExecutions: number) {}

  get(key: ExecutionKey): CachedExecution | undefined {
    const k = executionKeyString(key);
    const e = this.executions.get(k);
    if (e) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.executions.delete(k);
      this.executions.set(k, e);
    }
    return e;
  }
  set(e: CachedExecution): void {
    const k = executionKeyString(e.row);
    this.executions.delete(k);
    this.executions.set(k, e);
    while (this.executions.size > this.maxExecutions) {
      const oldest = this.executions.keys().next().value as string;
      this.executions.delete(oldest);
    }
  }
  drop(key: ExecutionKey): void {
    this.executions.delete(executionKeyString(key));
    this.current.delete(businessKey(key.namespaceId, key.businessId, key.archetype));
  }
  getCurrent(bk: string): CurrentExecutionRow | undefined {
    return this.current.get(bk);
  }
  setCurrent(row: CurrentExecutionRow): void {
    this.current.set(businessKey(row.namespaceId, row.businessId, row.archetype), row);
    if (this.current.size > this.maxExecutions * 2) {
      this.current.delete(this.current.keys().next().value as string);
    }
  }
  dropCurrentAll(): void {
    this.current.clear();
  }
  dropCurrent(bk: string): void {
    this.current.delete(bk);
  }
  /** Forgets everything of a shard (ownership lost). */
  dropShard(shardId: number): void {
    for (const [k, e] of this.executions) if (e.row.shardId === shardId) this.executions.delete(k);
    this.current.clear();
  }
  get size(): number {
    return this.executions.size;
  }
}
