import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AnyComponent, AnyComponentType, ChildSpecs, Component, ComponentType } from '../component/component-type.js';
import { systemClock, type Clock } from '../clock.js';
import type { Context, MutableContext } from '../context.js';
import {
  ChasmError,
  ConcurrentUpdateError,
  CurrentExecutionChangedError,
  ExecutionAlreadyStartedError,
  FailedPreconditionError,
  NotFoundError,
  RequestIdAlreadyUsedError,
  ShardOwnershipLostError,
  TaskInvalidError,
} from '../errors.js';
import type {
  CurrentExecutionRow,
  ExecutionKey,
  ExecutionRow,
  ExecutionStatus,
  ExecutionStore,
  ShardLease,
  TaskRow,
  VisibilityPage,
  VisibilityRecord,
} from '../persistence/store.js';
import type { ComponentRef } from '../ref.js';
import type { Registry } from '../registry/registry.js';
import type { TreeNode } from '../tree/node.js';
import { Tree } from '../tree/tree.js';
import { applyCommit, prepareCommit, visibilityFingerprint, type CommitOptions } from './commit.js';
import type {
  Engine,
  ExecutionInfo,
  ListQuery,
  PollOptions,
  PollResult,
  RootTarget,
  StartOptions,
  StartResult,
  Target,
  UpdateOptions,
  UpdateResult,
} from './engine.js';
import { ExecutionCache, businessKey, executionKeyString, type CachedExecution } from './execution-cache.js';
import { KeyLock } from './key-lock.js';
import { Notifier } from './notifier.js';
import { shardFor } from './shard-router.js';
import { TaskProcessor, type TaskProcessorOptions } from './task-processor.js';
import { Transaction, taskAttributes, taskPayload, taskValid } from './transaction.js';
import { EngineMetrics } from './engine-metrics.js';
import type { Registry as PromRegistry } from 'prom-client';

export interface ChasmEngineOptions {
  readonly store: ExecutionStore;
  readonly registry: Registry;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: PromRegistry;
  /** Identifies this node in shard ownership. */
  readonly owner?: string;
  readonly cacheSize?: number;
  readonly tasks?: TaskProcessorOptions;
}

const MAX_CONFLICT_RETRIES = 3;
const isRef = (t: Target): t is ComponentRef => 'path' in t;

/**
 * The CHASM engine: single writer per execution (an async lock per business id), executions
 * cached while this node owns their shard, every commit one store transaction fenced by the
 * shard lease, tasks handed to the processor right after commit.
 */
export class ChasmEngine implements Engine {
  readonly clock: Clock;
  readonly processor: TaskProcessor;
  private readonly leases = new Map<number, ShardLease>();
  private readonly taskSeq = new Map<number, number>();
  private readonly cache: ExecutionCache;
  private readonly locks = new KeyLock();
  private readonly notifier = new Notifier();
  private readonly metrics: EngineMetrics | undefined;
  readonly owner: string;

  constructor(private readonly opts: ChasmEngineOptions) {
    this.clock = opts.clock ?? systemClock;
    this.cache = new ExecutionCache(opts.cacheSize ?? 10_000);
    this.owner = opts.owner ?? `node-${randomUUID()}`;
    this.metrics = opts.metrics ? new EngineMetrics(opts.metrics) : undefined;
    this.processor = new TaskProcessor(this, opts.store, this.clock, opts.logger, this.metrics, opts.tasks);
  }

  get store(): ExecutionStore {
    return this.opts.store;
  }
  get registry(): Registry {
    return this.opts.registry;
  }

  /** Takes ownership of every shard (single-node mode) and starts task processing. */
  async startup(): Promise<void> {
    for (let s = 0; s < this.opts.store.shardCount; s++) {
      this.leases.set(s, await this.opts.store.acquireShard(s, this.owner));
      this.taskSeq.set(s, 0);
    }
    await this.processor.start([...this.leases.values()]);
  }

  async shutdown(): Promise<void> {
    await this.processor.stop();
  }

  // ---------------------------------------------------------------- public API

  async start<TState, TChildren extends ChildSpecs, TOut = void>(
    type: ComponentType<TState, TChildren>,
    id: { readonly namespaceId: string; readonly businessId: string },
    opts: StartOptions<TState, TChildren, TOut>,
  ): Promise<StartResult<TOut>> {
    const r = await this.startOrUpdate(type as AnyComponentType, id, opts as StartOptions<unknown, ChildSpecs, unknown>, undefined);
    return r as StartResult<TOut>;
  }

  async updateWithStart<TState, TChildren extends ChildSpecs, TOut>(
    type: ComponentType<TState, TChildren>,
    id: { readonly namespaceId: string; readonly businessId: string },
    start: Omit<StartOptions<TState, TChildren, unknown>, 'conflictPolicy'>,
    fn: (component: Component<TState, TChildren>, ctx: MutableContext) => TOut,
  ): Promise<UpdateResult<TOut> & { readonly created: boolean; readonly runId: string }> {
    const r = await this.startOrUpdate(
      type as AnyComponentType,
      id,
      start as StartOptions<unknown, ChildSpecs, unknown>,
      fn as (c: AnyComponent, ctx: MutableContext) => unknown,
    );
    return { output: r.output as TOut, ref: r.ref, created: r.created, runId: r.runId };
  }

  update<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: MutableContext) => TOut,
    opts?: UpdateOptions,
  ): Promise<UpdateResult<TOut>>;
  update<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: MutableContext) => TOut, opts?: UpdateOptions): Promise<UpdateResult<TOut>>;
  async update<TOut>(target: Target, fn: (component: AnyComponent, ctx: MutableContext) => TOut, opts?: UpdateOptions): Promise<UpdateResult<TOut>> {
    return this.retryConflicts(() =>
      this.locked(target, async (key) => {
        const e = await this.load(key, isRef(target) ? target.executionTc : 0);
        if (opts?.requestId && e.row.requestIds.includes(opts.requestId)) throw new RequestIdAlreadyUsedError(opts.requestId);
        const node = this.resolveNode(e, target);
        return this.mutate(e, node, fn, { requestId: opts?.requestId });
      }),
    );
  }

  read<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: Context) => TOut,
  ): Promise<TOut>;
  read<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: Context) => TOut): Promise<TOut>;
  async read<TOut>(target: Target, fn: (component: AnyComponent, ctx: Context) => TOut): Promise<TOut> {
    return this.locked(target, async (key) => {
      const e = await this.load(key, isRef(target) ? target.executionTc : 0);
      const node = this.resolveNode(e, target);
      const txn = new Transaction(e.tree, key, this.clock.now(), e.row.transitionCount);
      return fn(e.tree.wrap(node), txn.readContext());
    });
  }

  poll<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: Context) => TOut | undefined,
    opts?: PollOptions,
  ): Promise<PollResult<TOut>>;
  poll<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: Context) => TOut | undefined, opts?: PollOptions): Promise<PollResult<TOut>>;
  async poll<TOut>(
    target: Target,
    fn: (component: AnyComponent, ctx: Context) => TOut | undefined,
    opts: PollOptions = {},
  ): Promise<PollResult<TOut>> {
    const wakeAt = opts.deadline ? pollWakeTime(this.clock.now(), opts.deadline) : undefined;
    for (;;) {
      let wake!: () => void;
      const woken = new Promise<'woken'>((r) => (wake = () => r('woken')));
      let unsubscribe: (() => void) | undefined;
      let ref!: ComponentRef;
      const value = await this.locked(target, async (key) => {
        const e = await this.load(key, isRef(target) ? target.executionTc : 0);
        const node = this.resolveNode(e, target);
        const txn = new Transaction(e.tree, key, this.clock.now(), e.row.transitionCount);
        const component = e.tree.wrap(node);
        ref = txn.ref(component);
        const v = fn(component, txn.readContext());
        // Subscribe before the lock is released so no commit can slip between check and wait.
        if (v === undefined) unsubscribe = this.notifier.subscribe(executionKeyString(key), wake);
        return v;
      });
      if (value !== undefined) return { value, ref };
      const outcome = await waitFor(woken, wakeAt, opts.signal, this.clock);
      unsubscribe?.();
      if (outcome !== 'woken') return { value: undefined, ref };
    }
  }

  async describe(target: Target): Promise<ExecutionInfo & { readonly runId: string }> {
    return this.locked(target, async (key) => {
      const e = await this.load(key, 0);
      const { status, startTime, closeTime, transitionCount, runId } = e.row;
      return { status, startTime, closeTime, transitionCount, runId };
    });
  }

  async delete(target: Target, reason = 'deleted'): Promise<void> {
    await this.retryConflicts(() =>
      this.locked(target, async (key) => {
        const e = await this.load(key, 0);
        if (e.row.status === 'running') await this.terminateLocked(e, reason);
        await this.opts.store.deleteExecution(this.lease(e.row.shardId), key);
        this.cache.drop(key);
        this.notifier.notify(executionKeyString(key));
      }),
    );
  }

  /** Force-closes a running execution through its root's `terminate`. */
  async terminate(target: Target, reason: string): Promise<void> {
    await this.retryConflicts(() =>
      this.locked(target, async (key) => {
        const e = await this.load(key, 0);
        if (e.row.status !== 'running') throw new FailedPreconditionError('execution is already closed');
        await this.terminateLocked(e, reason);
      }),
    );
  }

  async list(type: AnyComponentType, query: ListQuery): Promise<VisibilityPage> {
    return this.opts.store.listVisibility({
      namespaceId: query.namespaceId,
      archetype: type.name,
      pageSize: query.pageSize ?? 100,
      ...(query.filter ? { filter: query.filter } : {}),
      ...(query.orderBy ? { orderBy: query.orderBy } : {}),
      ...(query.pageToken ? { pageToken: query.pageToken } : {}),
    });
  }

  async count(type: AnyComponentType, query: Omit<ListQuery, 'pageSize' | 'pageToken' | 'orderBy'>): Promise<number> {
    return this.opts.store.countVisibility({
      namespaceId: query.namespaceId,
      archetype: type.name,
      ...(query.filter ? { filter: query.filter } : {}),
    });
  }

  // ---------------------------------------------------------------- task processor entry points

  /** Runs every due pure task of the execution that owns `task`, in one transaction. */
  async runDuePureTasks(task: TaskRow): Promise<'done' | { retryAt: Date }> {
    return this.retryConflicts(() =>
      this.locked(task, async (key) => {
        const e = await this.loadOrUndefined(key);
        if (!e) return 'done';
        const node = e.tree.nodes.get(task.path);
        if (!node?.tasks.some((t) => t.row.taskId === task.taskId)) return 'done';
        const now = this.clock.now();
        if (task.fireAt && task.fireAt > now) return { retryAt: task.fireAt };
        const txn = new Transaction(e.tree, key, now, e.row.transitionCount);
        const rctx = txn.readContext();
        const mctx = txn.mutableContext();
        const executed = new Set<string>();
        e.tree.mutable = true;
        try {
          // Due tasks in (fireAt, id) order; each validated right before it runs.
          const due = [...e.tree.nodes.values()]
            .flatMap((n) => n.tasks.map((t) => ({ n, t })))
            .filter(({ t }) => t.row.kind === 'pure' && t.row.fireAt !== null && t.row.fireAt <= now)
            .sort((a, b) => a.t.row.fireAt!.getTime() - b.t.row.fireAt!.getTime() || (a.t.row.taskId < b.t.row.taskId ? -1 : 1));
          for (const { n, t } of due) {
            if (e.tree.nodes.get(n.path) !== n || !n.tasks.includes(t)) continue;
            executed.add(t.row.taskId);
            if (!this.opts.registry.hasTask(t.row.typeName)) continue;
            const type = this.opts.registry.task(t.row.typeName);
            if (type.kind !== 'pure') continue;
            const payload = taskPayload(type, t);
            const attrs = taskAttributes(t);
            if (taskValid(e.tree, rctx, n, type, payload, attrs)) type.execute(mctx, e.tree.wrap(n), payload, attrs);
            this.metrics?.tasks.inc({ type: type.name, outcome: 'executed' });
          }
          await this.commit(e, txn, { executedTaskIds: executed });
        } catch (err) {
          this.cache.drop(key);
          throw err;
        } finally {
          e.tree.mutable = false;
        }
        return 'done';
      }),
    );
  }

  /**
   * Validates a side-effect task under the lock and returns the ref its handler re-enters
   * with, or undefined when the task is gone or stale (the caller deletes it).
   */
  async prepareSideEffect(task: TaskRow): Promise<ComponentRef | undefined> {
    return this.locked(task, async (key) => {
      const e = await this.loadOrUndefined(key);
      const node = e?.tree.nodes.get(task.path);
      const live = node?.tasks.find((t) => t.row.taskId === task.taskId);
      if (!e || !node || !live || node.initialTc !== task.componentInitialTc) return undefined;
      const type = this.opts.registry.task(task.typeName);
      const txn = new Transaction(e.tree, key, this.clock.now(), e.row.transitionCount);
      if (!taskValid(e.tree, txn.readContext(), node, type, taskPayload(type, live), taskAttributes(live))) return undefined;
      return { ...key, path: node.path, initialTc: node.initialTc, executionTc: e.row.transitionCount, taskId: task.taskId };
    });
  }

  /** A side-effect task finished (or was dropped): forget it in memory; the processor deletes the row. */
  forgetTask(task: TaskRow): void {
    const e = this.cache.get(task);
    const node = e?.tree.nodes.get(task.path);
    if (node) node.tasks = node.tasks.filter((t) => t.row.taskId !== task.taskId);
  }

  /** The visibility record for a visibility task, or undefined if the task was superseded. */
  async visibilityRecord(task: TaskRow): Promise<VisibilityRecord | undefined> {
    return this.locked(task, async (key) => {
      const e = await this.loadOrUndefined(key);
      if (!e || !e.visibilityTaskIds.includes(task.taskId)) return undefined;
      const rootType = e.tree.root.componentType!;
      const state = e.tree.wrap(e.tree.root).state;
      const sa = rootType.searchAttributes?.(state) ?? {};
      const searchAttributes: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sa)) searchAttributes[k] = v instanceof Date ? v.toISOString() : v;
      return {
        ...key,
        status: e.row.status,
        startTime: e.row.startTime,
        closeTime: e.row.closeTime,
        searchAttributes,
        memo: rootType.memo?.(state) ?? null,
        transitionCount: e.row.transitionCount,
      };
    });
  }

  visibilityWritten(task: TaskRow): void {
    const e = this.cache.get(task);
    if (e) e.visibilityTaskIds = e.visibilityTaskIds.filter((id) => id !== task.taskId);
  }

  lease(shardId: number): ShardLease {
    const lease = this.leases.get(shardId);
    if (!lease) throw new ChasmError('UNAVAILABLE', `shard ${shardId} is not owned by this node`);
    return lease;
  }

  /** Called when a write was fenced off: this node must stop acting for the shard. */
  shardLost(shardId: number): void {
    this.leases.delete(shardId);
    this.cache.dropShard(shardId);
    this.processor.dropShard(shardId);
    this.opts.logger?.warn({ shardId }, 'shard ownership lost');
  }

  // ---------------------------------------------------------------- internals

  private async startOrUpdate(
    type: AnyComponentType,
    id: { readonly namespaceId: string; readonly businessId: string },
    opts: StartOptions<unknown, ChildSpecs, unknown>,
    updateFn: ((c: AnyComponent, ctx: MutableContext) => unknown) | undefined,
  ): Promise<{ ref: ComponentRef; runId: string; created: boolean; output?: unknown }> {
    const bk = businessKey(id.namespaceId, id.businessId, type.name);
    return this.retryConflicts(() =>
      this.locks.with(bk, async () => {
        // Optimistic create: with no current run cached, assume there is none and let the
        // create's own condition (no current row) check it, saving a read per new id. If a run
        // exists after all, the create writes nothing and fails; then read and decide.
        if (this.cache.getCurrent(bk) === undefined) {
          try {
            return await this.startOrUpdateLocked(type, id, opts, updateFn, undefined);
          } catch (err) {
            if (!(err instanceof CurrentExecutionChangedError)) throw err;
          }
        }
        const current = await this.getCurrent(id.namespaceId, id.businessId, type.name);
        return this.startOrUpdateLocked(type, id, opts, updateFn, current);
      }),
    );
  }

  /** startOrUpdate under the business id's lock, given the current run (undefined: none). */
  private async startOrUpdateLocked(
    type: AnyComponentType,
    id: { readonly namespaceId: string; readonly businessId: string },
    opts: StartOptions<unknown, ChildSpecs, unknown>,
    updateFn: ((c: AnyComponent, ctx: MutableContext) => unknown) | undefined,
    current: CurrentExecutionRow | undefined,
  ): Promise<{ ref: ComponentRef; runId: string; created: boolean; output?: unknown }> {
    let replace: string | undefined;
    if (current) {
      const existing = async (): Promise<{ ref: ComponentRef; runId: string; created: boolean; output?: unknown }> => {
        const key = { namespaceId: id.namespaceId, businessId: id.businessId, archetype: type.name, runId: current.runId };
        const e = await this.load(key, 0);
        if (updateFn) {
          const r = await this.mutate(e, e.tree.root, updateFn, {});
          return { ref: r.ref!, runId: current.runId, created: false, output: r.output };
        }
        return { ref: rootRef(key, e.row.transitionCount), runId: current.runId, created: false };
      };
      if (current.startRequestId === opts.requestId) return existing();
      if (current.status === 'running') {
        if (updateFn || opts.conflictPolicy === 'useExisting') return existing();
        throw alreadyStarted(id.businessId, current);
      }
      const reuse = opts.reusePolicy ?? 'allowDuplicate';
      if (reuse === 'rejectDuplicate' || (reuse === 'allowDuplicateFailedOnly' && current.status === 'completed')) {
        throw alreadyStarted(id.businessId, current);
      }
      replace = current.runId;
    }
    const runId = opts.runId ?? randomUUID();
    const key: ExecutionKey = { namespaceId: id.namespaceId, businessId: id.businessId, archetype: type.name, runId };
    const shardId = shardFor(id.namespaceId, id.businessId, this.opts.store.shardCount);
    const now = this.clock.now();
    const row: ExecutionRow = {
      ...key, shardId, status: 'running', transitionCount: 0, dbVersion: 0, startTime: now, closeTime: null,
      startRequestId: opts.requestId, requestIds: [],
    };
    const tree = Tree.create(this.opts.registry, type, undefined);
    const e: CachedExecution = { row, tree, visibilityFingerprint: undefined, visibilityTaskIds: [] };
    const txn = new Transaction(tree, key, now, 0);
    const ctx = txn.mutableContext();
    tree.mutable = true;
    let output: unknown;
    try {
      tree.root.value = opts.init(ctx);
      const root = tree.wrap(tree.root);
      output = opts.run?.(root, ctx);
      if (updateFn) output = updateFn(root, ctx);
      await this.commit(e, txn, { create: true }, replace);
    } finally {
      tree.mutable = false;
    }
    this.cache.set(e);
    this.cache.setCurrent({ ...key, status: e.row.status, startRequestId: opts.requestId });
    this.metrics?.starts.inc({ archetype: type.name });
    return { ref: rootRef(key, e.row.transitionCount), runId, created: true, output };
  }

  private async terminateLocked(e: CachedExecution, reason: string): Promise<void> {
    const rootType = e.tree.root.componentType!;
    if (!rootType.terminate) throw new FailedPreconditionError(`${rootType.name} executions cannot be terminated`);
    await this.mutate(e, e.tree.root, (root, ctx) => rootType.terminate!(root, ctx, reason), { forceStatus: 'terminated' });
  }

  /** Runs `fn` as one transaction on a loaded execution and commits it. Caller holds the lock. */
  private async mutate<TOut>(
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
    return { output, ref: alive ? { ...keyOf(key), path: node.path, initialTc: node.initialTc, executionTc: e.row.transitionCount } : undefined };
  }

  private async commit(e: CachedExecution, txn: Transaction, opts: CommitOptions, replaceRunId?: string): Promise<void> {
    const shardId = e.row.shardId;
    const lease = this.lease(shardId);
    const prepared = prepareCommit(e, txn, this.opts.registry, () => this.allocateTaskId(shardId), opts);
    if (prepared.noop) return;
    const started = performance.now();
    try {
      if (opts.create) {
        await this.opts.store.createExecution({
          lease,
          execution: { ...prepared.row, dbVersion: 1 },
          nodes: prepared.diff.upserts,
          tasks: prepared.insertTasks,
          current: replaceRunId ? { mode: 'replace', previousRunId: replaceRunId } : { mode: 'create' },
        });
        applyCommit(e, { ...prepared, row: { ...prepared.row, dbVersion: 1 } });
      } else {
        await this.opts.store.commit({
          lease,
          key: keyOf(e.row),
          expectedDbVersion: e.row.dbVersion,
          execution: prepared.row,
          upsertNodes: prepared.diff.upserts,
          deletePaths: prepared.diff.deletes,
          insertTasks: prepared.insertTasks,
          deleteTaskIds: prepared.deleteTaskIds,
          ...(prepared.statusChanged ? { currentStatus: prepared.row.status } : {}),
        });
        applyCommit(e, prepared);
      }
    } catch (err) {
      if (err instanceof ShardOwnershipLostError) this.shardLost(shardId);
      throw err;
    }
    this.metrics?.commits.inc();
    this.metrics?.commitLatency.observe((performance.now() - started) / 1000);
    if (prepared.statusChanged) {
      const cur = this.cache.getCurrent(businessKey(e.row.namespaceId, e.row.businessId, e.row.archetype));
      if (cur && cur.runId === e.row.runId) this.cache.setCurrent({ ...cur, status: prepared.row.status });
    }
    this.notifier.notify(executionKeyString(e.row));
    if (prepared.insertTasks.length > 0) this.processor.enqueue(prepared.insertTasks);
  }

  private allocateTaskId(shardId: number): string {
    const seq = (this.taskSeq.get(shardId) ?? 0) + 1;
    this.taskSeq.set(shardId, seq);
    // Unique per shard: range ids are never reused, and the sequence restarts per lease.
    return `${this.lease(shardId).rangeId.toString(36)}-${seq.toString(36)}`;
  }

  private async getCurrent(namespaceId: string, businessId: string, archetype: string): Promise<CurrentExecutionRow | undefined> {
    const bk = businessKey(namespaceId, businessId, archetype);
    const cached = this.cache.getCurrent(bk);
    if (cached) return cached;
    const row = await this.opts.store.getCurrentExecution(namespaceId, businessId, archetype);
    if (row) this.cache.setCurrent(row);
    return row;
  }

  /** Resolves the target to a concrete run and runs `fn` holding that business id's lock. */
  private async locked<T>(target: Target | ExecutionKey, fn: (key: ExecutionKey) => Promise<T>): Promise<T> {
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

  private async load(key: ExecutionKey, minTc: number): Promise<CachedExecution> {
    const e = await this.loadOrUndefined(key, minTc);
    if (!e) throw notFound(key.businessId);
    if (e.row.transitionCount < minTc) {
      // Even a fresh read is older than the ref: the ref cannot come from this execution.
      throw new NotFoundError('reference is newer than the execution state (stale or forged token)');
    }
    return e;
  }

  private async loadOrUndefined(key: ExecutionKey, minTc = 0): Promise<CachedExecution | undefined> {
    const cached = this.cache.get(key);
    if (cached && cached.row.transitionCount >= minTc) return cached;
    const loaded = await this.opts.store.loadExecution(key);
    if (!loaded) return undefined;
    if (!this.leases.has(loaded.execution.shardId)) {
      throw new ChasmError('UNAVAILABLE', `shard ${loaded.execution.shardId} is not owned by this node`);
    }
    const tree = Tree.load(this.opts.registry, loaded.nodes, loaded.tasks);
    const rootType = tree.root.componentType!;
    const state = tree.wrap(tree.root).state;
    const e: CachedExecution = {
      row: loaded.execution,
      tree,
      visibilityFingerprint: visibilityFingerprint(rootType, state, loaded.execution.status),
      visibilityTaskIds: loaded.tasks.filter((t) => t.kind === 'visibility').map((t) => t.taskId),
    };
    // Rows of tasks whose node no longer exists are garbage; delete them lazily.
    if (tree.removedTasks.length > 0) {
      this.processor.discard(tree.removedTasks.splice(0));
    }
    this.cache.set(e);
    this.metrics?.loads.inc();
    return e;
  }

  private resolveNode(e: CachedExecution, target: Target): TreeNode {
    if (!isRef(target)) return e.tree.root;
    const node = e.tree.nodes.get(target.path);
    if (!node || node.kind !== 'component' || node.initialTc !== target.initialTc) {
      throw new NotFoundError(`component not found (it was removed or replaced)`);
    }
    if (target.taskId !== undefined) {
      const live = node.tasks.find((t) => t.row.taskId === target.taskId);
      if (!live) throw new TaskInvalidError('task no longer exists');
      const type = this.opts.registry.task(live.row.typeName);
      const txn = new Transaction(e.tree, keyOf(e.row), this.clock.now(), e.row.transitionCount);
      if (!taskValid(e.tree, txn.readContext(), node, type, taskPayload(type, live), taskAttributes(live))) {
        throw new TaskInvalidError();
      }
    }
    return node;
  }

  private async retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
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
}

function keyOf(k: ExecutionKey): ExecutionKey {
  return { namespaceId: k.namespaceId, businessId: k.businessId, archetype: k.archetype, runId: k.runId };
}

function rootRef(key: ExecutionKey, tc: number): ComponentRef {
  return { ...keyOf(key), path: '', initialTc: 1, executionTc: tc };
}

function notFound(businessId: string): NotFoundError {
  return new NotFoundError(`execution not found: ${businessId}`, { businessId });
}

function alreadyStarted(businessId: string, current: CurrentExecutionRow): ExecutionAlreadyStartedError {
  return new ExecutionAlreadyStartedError(
    `execution already started: ${businessId} (run ${current.runId})`,
    current.runId,
    current.startRequestId,
  );
}

/** Answer empty about a second before the caller's deadline (less if the deadline is near). */
export function pollWakeTime(now: Date, deadline: Date): Date {
  const remaining = deadline.getTime() - now.getTime();
  const margin = remaining > 2000 ? 1000 : Math.max(0, remaining / 2);
  return new Date(deadline.getTime() - margin);
}

async function waitFor(
  woken: Promise<'woken'>,
  wakeAt: Date | undefined,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<'woken' | 'deadline' | 'aborted'> {
  if (signal?.aborted) return 'aborted';
  const cleanups: (() => void)[] = [];
  const racers: Promise<'woken' | 'deadline' | 'aborted'>[] = [woken];
  if (wakeAt) racers.push(new Promise((r) => cleanups.push(clock.schedule(wakeAt, () => r('deadline')))));
  if (signal) {
    racers.push(
      new Promise((r) => {
        const onAbort = (): void => r('aborted');
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }),
    );
  }
  try {
    return await Promise.race(racers);
  } finally {
    for (const c of cleanups) c();
  }
}

export type { ExecutionStatus };
