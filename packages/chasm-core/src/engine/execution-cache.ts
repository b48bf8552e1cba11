import { randomUUID } from 'node:crypto';
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

/** Executions whose drops are tracked one by one (`ExecutionCache.epochOf`); beyond, all epochs change. */
const MAX_DROPPED_TRACKED = 100_000;

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
  /** This process's cache: a speculative change held by another process is never ours. */
  private readonly bootId = randomUUID();
  /** Bumped when a whole shard is dropped (or `dropped` overflows): every epoch changes. */
  private generation = 0;
  /** Per execution, how many times it was dropped (its in-memory state discarded) by this cache. */
  private readonly dropped = new Map<string, number>();
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
    this.evictOverflow();
  }

  /**
   * The execution's in-memory lineage (`Context.memoryEpoch`, ADR 0067): the process, and how
   * often this execution (or its shard) was dropped. Eviction does not change it: an execution
   * holding a speculative change is never evicted, so an evicted one had nothing in memory that
   * the database did not have.
   */
  epochOf(key: ExecutionKey): string {
    return `${this.bootId}.${this.generation}.${this.dropped.get(executionKeyString(key)) ?? 0}`;
  }

  /**
   * Least recently used first, down to `maxExecutions`. An execution holding a speculative change
   * (ADR 0067) is not evicted but moved to the most recent end: it is pinned only until its change
   * is committed (a start guard or the next commit settles it), so at most as many stay beyond the
   * bound as there are speculative changes out.
   */
  private evictOverflow(): void {
    let skipped = 0;
    while (this.executions.size > this.maxExecutions && skipped < this.executions.size) {
      const k = this.executions.keys().next().value as string;
      const e = this.executions.get(k)!;
      if (e.speculative) {
        this.executions.delete(k);
        this.executions.set(k, e);
        skipped++;
        continue;
      }
      this.forget(k);
    }
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
    const pinned: string[] = [];
    for (const [k, t] of this.lastUsed) {
      if (t > cutoff) break;
      // Holding a speculative change: kept (ADR 0067), counted as used now.
      if (this.executions.get(k)?.speculative) {
        pinned.push(k);
        continue;
      }
      this.forget(k);
      n++;
    }
    for (const k of pinned) this.touch(k);
    return n;
  }
  /** Discards the execution's in-memory state (a failed commit, a delete): its epoch changes. */
  drop(key: ExecutionKey): void {
    this.forgetDeleted(key);
    const k = executionKeyString(key);
    if (this.dropped.size >= MAX_DROPPED_TRACKED && !this.dropped.has(k)) {
      // Failures beyond what is worth tracking one by one: change every epoch instead.
      this.dropped.clear();
      this.generation++;
    } else {
      this.dropped.set(k, (this.dropped.get(k) ?? 0) + 1);
    }
  }
  /** Forgets a deleted execution (and its current-run pointer); its epoch no longer matters. */
  forgetDeleted(key: ExecutionKey): void {
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
    this.generation++;
    for (const [k, e] of this.executions) {
      if (e.row.shardId === shardId) this.forget(k);
    }
    this.current.clear();
  }
  get size(): number {
    return this.executions.size;
  }
}
