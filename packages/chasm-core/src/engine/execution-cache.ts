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
  /** Holds uncommitted changes of speculative updates (see UpdateOptions.speculative). */
  speculative?: boolean;
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
  /** When each cached execution was last used (monotonic ms), in the same LRU order. */
  private readonly lastUsed = new Map<string, number>();
  private readonly current = new Map<string, CurrentExecutionRow>();

  constructor(
    private readonly maxExecutions: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: ExecutionKey): CachedExecution | undefined {
    const k = executionKeyString(key);
    const e = this.executions.get(k);
    if (e) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.executions.delete(k);
      this.executions.set(k, e);
      this.touch(k);
    }
    return e;
  }
  set(e: CachedExecution): void {
    const k = executionKeyString(e.row);
    this.executions.delete(k);
    this.executions.set(k, e);
    this.touch(k);
    while (this.executions.size > this.maxExecutions) {
      const oldest = this.executions.keys().next().value as string;
      this.executions.delete(oldest);
      this.lastUsed.delete(oldest);
    }
  }
  private touch(k: string): void {
    this.lastUsed.delete(k);
    this.lastUsed.set(k, this.now());
  }
  /**
   * Drops executions unused for `idleMs`: a schedule or a workflow waiting days for its next
   * timer should cost no memory until then (it is loaded again when the timer fires). Walks from
   * the least recently used and stops at the first recent one. Returns how many were dropped.
   */
  evictIdle(idleMs: number): number {
    const cutoff = this.now() - idleMs;
    let n = 0;
    for (const [k, t] of this.lastUsed) {
      if (t > cutoff) break;
      this.lastUsed.delete(k);
      this.executions.delete(k);
      n++;
    }
    return n;
  }
  drop(key: ExecutionKey): void {
    this.executions.delete(executionKeyString(key));
    this.lastUsed.delete(executionKeyString(key));
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
    for (const [k, e] of this.executions) {
      if (e.row.shardId === shardId) {
        this.executions.delete(k);
        this.lastUsed.delete(k);
      }
    }
    this.current.clear();
  }
  get size(): number {
    return this.executions.size;
  }
}
