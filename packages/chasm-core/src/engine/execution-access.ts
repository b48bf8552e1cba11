import type { Logger } from 'pino';
import type { AnyComponent } from '../component/component-type.js';
import type { Clock } from '../clock.js';
import type { MutableContext } from '../context.js';
import {
  ChasmError,
  ConcurrentUpdateError,
  CurrentExecutionChangedError,
  NotFoundError,
  ShardOwnershipLostError,
  TaskInvalidError,
} from '../errors.js';
import { isOpenStatus, type CurrentExecutionRow, type ExecutionKey, type ExecutionStore, type TaskRow } from '../persistence/store.js';
import { isTransientDatabaseError } from '../persistence/transient-errors.js';
import type { ComponentRef } from '../ref.js';
import type { Registry } from '../registry/registry.js';
import type { TreeNode } from '../tree/node.js';
import { Tree } from '../tree/tree.js';
import { applyCommit, prepareCommit, visibilityFingerprint, type CommitOptions } from './commit.js';
import type { RootTarget, Target, UpdateResult } from './engine.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { CommitTracer } from './commit-tracer.js';
import { ExecutionCache, businessKey, executionKeyString, type CachedExecution } from './execution-cache.js';
import { KeyLock } from './key-lock.js';
import { Notifier } from './notifier.js';
import { closes, keepForever, retentionTaskRow, type RetentionPolicy } from './retention-policy.js';
import { ShardLeases } from './shard-leases.js';
import { Transaction, taskAttributes, taskPayload, taskValid } from './transaction.js';

const MAX_CONFLICT_RETRIES = 3;

/** What commits and loads hand to the task processor. */
export interface TaskSink {
  /** New tasks of a commit, run right after it. */
  enqueue(rows: readonly TaskRow[]): void;
  /** Rows found to be garbage: deleted without running. */
  discard(rows: readonly TaskRow[]): void;
  /**
   * Tasks a commit just deleted (they became invalid): the processor need not run them. Without
   * this, every invalidated timer still fired, took the execution's lock and, for an execution
   * that had left the cache, loaded it from the database only to find nothing to do.
   */
  cancel(shardId: number, taskIds: readonly string[]): void;
  /** The shard was lost: forget its tasks. */
  dropShard(shardId: number): void;
  /** A commit of this shard failed with an unknown outcome: read the shard's tasks again soon. */
  rescan(shardId: number): void;
  /** Finished tasks of the shard whose rows a commit about to be written deletes too (ADR 0039). */
  rideFinished(shardId: number): { readonly ids: string[]; settle(committed: boolean): void } | undefined;
}

export interface ExecutionAccessOptions {
  readonly store: ExecutionStore;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly metrics: EngineMetrics | undefined;
  readonly cacheSize: number;
  readonly tasks: TaskSink;
  /** Default: keep closed executions forever. */
  readonly retention?: RetentionPolicy | undefined;
  /** Spans around commits; absent (the default) = no tracing. */
  readonly tracer?: CommitTracer | undefined;
  /** Requests that may wait for one execution's lock; more are refused BUSY_WORKFLOW. Default: no limit. */
  readonly maxWaitingPerExecution?: number | undefined;
}

export const isRef = (t: Target): t is ComponentRef => 'path' in t;

/**
 * The engine's plumbing under its public API: the single-writer lock per business id, the
 * cache of loaded executions and current-run pointers, loading, and committing a transaction
 * (one store call fenced by the shard lease, then the cache, long polls and task processor are
 * told). Everything here assumes the caller follows the locking rules stated per method.
 */
export class ExecutionAccess {
  readonly store: ExecutionStore;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly metrics: EngineMetrics | undefined;
  readonly leases = new ShardLeases();
  readonly cache: ExecutionCache;
  readonly notifier = new Notifier();
  private readonly locks: KeyLock;
  private readonly logger: Logger | undefined;
  private readonly tasks: TaskSink;
  private readonly retention: RetentionPolicy;
  private readonly tracer: CommitTracer | undefined;

  constructor(opts: ExecutionAccessOptions) {
    this.store = opts.store;
    this.registry = opts.registry;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.cache = new ExecutionCache(opts.cacheSize);
    this.locks = new KeyLock(opts.maxWaitingPerExecution);
    this.tasks = opts.tasks;
    this.retention = opts.retention ?? keepForever;
    this.tracer = opts.tracer;
  }

  /** Runs `fn` holding the lock of a business id (all runs of one id share it). */
  withBusinessLock<T>(bk: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.with(bk, fn);
  }

  /** Resolves the target to a concrete run and runs `fn` holding that business id's lock. */
  async locked<T>(target: Target | ExecutionKey, fn: (key: ExecutionKey) => Promise<T>): Promise<T> {
    const archetype = 'type' in target ? (target as RootTarget).type.name : (target as ExecutionKey).archetype;
    const bk = businessKey(target.namespaceId, target.businessId, archetype);
    return this.locks.with(bk, async () => {
      let runId = (target as { runId?: string }).runId;
      if (!runId) {
        const cur = await this.getCurrent(target.namespaceId, target.businessId, archetype);
        if (!cur) throw notFound(target.businessId);
        runId = cur.runId;
      }
      return fn({ namespaceId: target.namespaceId, businessId: target.businessId, archetype, runId });
    });
  }

  async getCurrent(namespaceId: string, businessId: string, archetype: string): Promise<CurrentExecutionRow | undefined> {
    const bk = businessKey(namespaceId, businessId, archetype);
    const cached = this.cache.getCurrent(bk);
    if (cached) return cached;
    const row = await this.store.getCurrentExecution(namespaceId, businessId, archetype);
    if (row) this.cache.setCurrent(row);
    return row;
  }

  /** The execution, from the cache unless it is older than `minTc`. Caller holds the lock. */
  async load(key: ExecutionKey, minTc: number): Promise<CachedExecution> {
    const e = await this.loadOrUndefined(key, minTc);
    if (!e) throw notFound(key.businessId);
    if (e.row.transitionCount < minTc) {
      // Even a fresh read is older than the ref: the ref cannot come from this execution.
      throw new NotFoundError('reference is newer than the execution state (stale or forged token)');
    }
    return e;
  }

  async loadOrUndefined(key: ExecutionKey, minTc = 0): Promise<CachedExecution | undefined> {
    const cached = this.cache.get(key);
    if (cached && cached.row.transitionCount >= minTc) return cached;
    const loaded = await this.store.loadExecution(key);
    if (!loaded) return undefined;
    if (!this.leases.has(loaded.execution.shardId)) {
      throw new ChasmError('UNAVAILABLE', `shard ${loaded.execution.shardId} is not owned by this node`);
    }
    const tree = Tree.load(this.registry, loaded.nodes, loaded.tasks);
    tree.memoryEpoch = this.cache.epochOf(key);
    const rootType = tree.root.componentType!;
    const state = tree.wrap(tree.root).state;
    const e: CachedExecution = {
      row: loaded.execution,
      tree,
      // Root state migrated from an older schema: the stored visibility record was computed by
      // older code from the old shape. Unknown, so the next commit writes it afresh.
      visibilityFingerprint:
        tree.root.migratedFrom === undefined ? visibilityFingerprint(rootType, state, loaded.execution.status) : undefined,
      visibilityTaskIds: loaded.tasks.filter((t) => t.kind === 'visibility').map((t) => t.taskId),
    };
    // Rows of tasks whose node no longer exists are garbage; delete them lazily.
    if (tree.removedTasks.length > 0) {
      this.tasks.discard(tree.removedTasks.splice(0));
    }
    this.cache.set(e);
    this.metrics?.loads.inc();
    return e;
  }

  /** The node a target names; a ref carrying a task id also requires that task to be live and valid. */
  resolveNode(e: CachedExecution, target: Target): TreeNode {
    if (!isRef(target)) return e.tree.root;
    const node = e.tree.nodes.get(target.path);
    if (!node || node.kind !== 'component' || node.initialTc !== target.initialTc) {
      throw new NotFoundError(`component not found (it was removed or replaced)`);
    }
    if (target.taskId !== undefined) {
      const live = node.tasks.find((t) => t.row.taskId === target.taskId);
      if (!live) throw new TaskInvalidError('task no longer exists');
      const type = this.registry.task(live.row.typeName);
      const txn = new Transaction(e.tree, keyOf(e.row), this.clock.now(), e.row.transitionCount);
      if (!taskValid(e.tree, txn.readContext(), node, type, taskPayload(type, live), taskAttributes(live))) {
        throw new TaskInvalidError();
      }
    }
    return node;
  }

  /** Runs `fn` as one transaction on a loaded execution and commits it. Caller holds the lock. */
  async mutate<TOut>(
    e: CachedExecution,
    node: TreeNode,
    fn: (component: AnyComponent, ctx: MutableContext) => TOut,
    opts: CommitOptions,
  ): Promise<UpdateResult<TOut>> {
    const key: ExecutionKey = e.row;
    const txn = new Transaction(e.tree, keyOf(key), this.clock.now(), e.row.transitionCount);
    const component = e.tree.wrap(node);
    let output: TOut;
    e.tree.mutable = true;
    try {
      this.settleSpeculative(e, txn);
      output = fn(component, txn.mutableContext());
      if (output instanceof Promise) throw new TypeError('engine.update functions must be synchronous');
      await this.commit(e, txn, opts);
    } catch (err) {
      // In-memory state may hold half-applied changes: reload from the database next time.
      this.cache.drop(key);
      throw err;
    } finally {
      e.tree.mutable = false;
    }
    const alive = e.tree.nodes.get(node.path) === node;
    return { output, ref: alive ? refOf(key, node.path, node.initialTc, e.row.transitionCount) : undefined };
  }

  /**
   * Runs `fn` on a loaded execution without committing (UpdateOptions.speculative): the change
   * stays in the cached tree, marked, until the next committing transaction writes it. Waiting
   * long polls are woken, since they read the cached tree. Caller holds the lock.
   */
  mutateSpeculative<TOut>(e: CachedExecution, node: TreeNode, fn: (component: AnyComponent, ctx: MutableContext) => TOut): UpdateResult<TOut> {
    const key: ExecutionKey = e.row;
    const txn = new Transaction(e.tree, keyOf(key), this.clock.now(), e.row.transitionCount);
    let output: TOut;
    e.tree.mutable = true;
    try {
      output = fn(e.tree.wrap(node), txn.mutableContext());
      if (output instanceof Promise) throw new TypeError('engine.update functions must be synchronous');
      // A task must be durable with the state that needs it; a speculative change is not.
      if (txn.newTasks.length > 0 || txn.immediatePure.length > 0) throw new TypeError('a speculative update cannot add tasks');
    } catch (err) {
      this.cache.drop(key);
      throw err;
    } finally {
      e.tree.mutable = false;
    }
    e.speculative = true;
    this.metrics?.speculativeUpdates.inc();
    this.notifier.notify(executionKeyString(e.row));
    const alive = e.tree.nodes.get(node.path) === node;
    return { output, ref: alive ? refOf(key, node.path, node.initialTc, e.row.transitionCount) : undefined };
  }

  /**
   * First step of every committing transaction: speculative changes held in memory become part
   * of it, after the root had its say (`settleSpeculative`). Caller holds the lock, tree mutable.
   */
  settleSpeculative(e: CachedExecution, txn: Transaction): void {
    if (!e.speculative) return;
    e.speculative = false;
    const rootType = e.tree.root.componentType!;
    rootType.settleSpeculative?.(e.tree.wrap(e.tree.root), txn.mutableContext());
  }

  /**
   * Writes a transaction: one store call fenced by the shard lease, then the cached execution,
   * waiting long polls and the task processor learn of it. Caller holds the lock. False when the
   * transaction changed nothing and nothing was written.
   */
  async commit(e: CachedExecution, txn: Transaction, opts: CommitOptions, replaceRunId?: string): Promise<boolean> {
    const shardId = e.row.shardId;
    const lease = this.leases.get(shardId);
    const prepared = prepareCommit(e, txn, this.registry, () => this.leases.allocateTaskId(shardId), opts);
    if (prepared.noop) return false;
    // Decided before the write: applying the commit replaces e.row.
    const closing = !isOpenStatus(prepared.row.status) && isOpenStatus(e.row.status);
    if (closes(e.row, prepared.row)) {
      // The retention timer is written by the closing commit itself: no closed execution
      // without its timer, even across a crash right after the commit.
      const retentionMs = await this.retention.retentionMs(e.row.namespaceId);
      if (retentionMs !== undefined) {
        prepared.insertTasks.push(retentionTaskRow(prepared.row, prepared.row.closeTime!, retentionMs, this.leases.allocateTaskId(shardId)));
      }
    }
    const started = performance.now();
    const write = async (): Promise<void> => {
      if (opts.create) {
        await this.store.createExecution({
          lease,
          execution: { ...prepared.row, dbVersion: 1 },
          nodes: prepared.diff.upserts,
          tasks: prepared.insertTasks,
          current: replaceRunId ? { mode: 'replace', previousRunId: replaceRunId } : { mode: 'create' },
          ...(prepared.visibility ? { visibility: prepared.visibility } : {}),
        });
        applyCommit(e, { ...prepared, row: { ...prepared.row, dbVersion: 1 } });
      } else {
        // Taken at the last moment, so that rows finished while this commit was prepared ride too.
        const ride = this.tasks.rideFinished(shardId);
        try {
          await this.store.commit({
            lease,
            key: keyOf(e.row),
            expectedDbVersion: e.row.dbVersion,
            execution: prepared.row,
            upsertNodes: prepared.diff.upserts,
            deletePaths: prepared.diff.deletes,
            insertTasks: prepared.insertTasks,
            deleteTaskIds: prepared.deleteTaskIds,
            ...(prepared.statusChanged ? { currentStatus: prepared.row.status } : {}),
            ...(prepared.visibility ? { visibility: prepared.visibility } : {}),
            ...(ride ? { finishedTaskIds: ride.ids } : {}),
          });
        } catch (err) {
          ride?.settle(false);
          throw err;
        }
        ride?.settle(true);
        applyCommit(e, prepared);
      }
    };
    try {
      if (this.tracer) {
        await this.tracer.traceCommit(
          {
            namespaceId: e.row.namespaceId,
            archetype: e.row.archetype,
            businessId: e.row.businessId,
            runId: e.row.runId,
            transitionCount: prepared.row.transitionCount,
            create: opts.create === true,
            nodes: prepared.diff.upserts.length,
            tasks: prepared.insertTasks.length,
          },
          write,
        );
      } else {
        await write();
      }
    } catch (err) {
      if (err instanceof ShardOwnershipLostError) this.shardLost(shardId);
      // Unknown outcome: the write may have committed with its tasks, which were then never
      // handed over in memory. The caller drops the cached execution (it reloads the truth);
      // the processor rescans the shard's task table once the database answers again.
      else if (isTransientDatabaseError(err)) this.tasks.rescan(shardId);
      throw err;
    }
    this.metrics?.commits.inc();
    this.metrics?.commitLatency.observe((performance.now() - started) / 1000);
    // A closing commit moves the execution to the cache's small closed tier.
    if (closing) this.cache.set(e);
    if (prepared.statusChanged) {
      const cur = this.cache.getCurrent(businessKey(e.row.namespaceId, e.row.businessId, e.row.archetype));
      if (cur && cur.runId === e.row.runId) this.cache.setCurrent({ ...cur, status: prepared.row.status });
    }
    this.notifier.notify(executionKeyString(e.row));
    if (prepared.deleteTaskIds.length > 0) this.tasks.cancel(shardId, prepared.deleteTaskIds);
    if (prepared.insertTasks.length > 0) this.tasks.enqueue(prepared.insertTasks);
    return true;
  }

  /** Retries `fn` when another writer won (the cache was stale); conflicts are rare and short. */
  async retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retryable = err instanceof ConcurrentUpdateError || err instanceof CurrentExecutionChangedError;
        if (!retryable || attempt >= MAX_CONFLICT_RETRIES) throw err;
        this.cache.dropCurrentAll();
      }
    }
  }

  /** Called when a write was fenced off: this node must stop acting for the shard. */
  shardLost(shardId: number): void {
    this.leases.release(shardId);
    this.cache.dropShard(shardId);
    this.tasks.dropShard(shardId);
    this.logger?.warn({ shardId }, 'shard ownership lost');
  }
}

export function keyOf(k: ExecutionKey): ExecutionKey {
  return { namespaceId: k.namespaceId, businessId: k.businessId, archetype: k.archetype, runId: k.runId };
}

export function rootRef(key: ExecutionKey, tc: number): ComponentRef {
  return refOf(key, '', 1, tc);
}

/**
 * A ref built field by field. Not `{ ...keyOf(key), path, … }`: on Node 20's V8 an object made by
 * a spread and then given a property the source did not have takes a slow path, ~1.3–1.8 µs of
 * CPU against ~0.07 µs for a literal or `Object.assign` (microbenchmark); refs are made several
 * times per RPC (issue 16, ADR 0041).
 */
export function refOf(key: ExecutionKey, path: string, initialTc: number, executionTc: number, taskId?: string): ComponentRef {
  const { namespaceId, businessId, archetype, runId } = key;
  if (taskId === undefined) return { namespaceId, businessId, archetype, runId, path, initialTc, executionTc };
  return { namespaceId, businessId, archetype, runId, path, initialTc, executionTc, taskId };
}

export function notFound(businessId: string): NotFoundError {
  return new NotFoundError(`execution not found: ${businessId}`, { businessId });
}
