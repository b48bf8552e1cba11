import { isOpenStatus, type CurrentExecutionRow, type ExecutionKey, type ExecutionRow } from '../persistence/store.js';
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

/** Closed executions kept cached at most (see `ExecutionCache.closed`). */
export const DEFAULT_MAX_CLOSED = 256;

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
  /**
   * Cached executions that are closed, oldest first. A closed execution is still read for a
   * while (the client's result poll, a describe), but rarely after: without a bound of its
   * own, a burst of short workflows would fill the whole cache with finished trees for the
   * idle time, so memory would grow with how many closed recently rather than with what runs.
   */
  private readonly closed = new Set<string>();

  constructor(
    private readonly maxExecutions: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxClosed: number = DEFAULT_MAX_CLOSED,
  ) {}

  /** The cached execution without counting it as used (no reordering). */
  peek(key: ExecutionKey): CachedExecution | undefined {
    return this.executions.get(executionKeyString(key));
  }

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
    if (!isOpenStatus(e.row.status)) {
      this.closed.add(k);
      if (this.closed.size > this.maxClosed) this.forget(this.closed.values().next().value as string);
    }
    while (this.executions.size > this.maxExecutions) this.forget(this.executions.keys().next().value as string);
  }
  private forget(k: string): void {
    this.executions.delete(k);
    this.lastUsed.delete(k);
    this.closed.delete(k);
  }
  /** How many cached executions are closed (bounded by `maxClosed`). */
  get closedSize(): number {
    return this.closed.size;
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
      this.forget(k);
      n++;
    }
    return n;
  }
  drop(key: ExecutionKey): void {
    this.forget(executionKeyString(key));
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
      if (e.row.shardId === shardId) this.forget(k);
    }
    this.current.clear();
  }
  get size(): number {
    return this.executions.size;
  }
}
