import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry as PromRegistry } from 'prom-client';
import type { AnyComponent, AnyComponentType, ChildSpecs, Component, ComponentType } from '../component/component-type.js';
import { systemClock, type Clock } from '../clock.js';
import type { Context, MutableContext } from '../context.js';
import { FailedPreconditionError, RequestIdAlreadyUsedError } from '../errors.js';
import { isOpenStatus, type ExecutionKey, type ExecutionStatus, type ExecutionStore, type ShardLease, type TaskRow, type VisibilityPage, type VisibilityRecord } from '../persistence/store.js';
import type { ComponentRef } from '../ref.js';
import type { Registry } from '../registry/registry.js';
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
import { EngineMetrics } from './engine-metrics.js';
import type { CommitTracer } from './commit-tracer.js';
import { executionKeyString, type CachedExecution } from './execution-cache.js';
import { ExecutionAccess, isRef } from './execution-access.js';
import { pollAnswerMarginMs, pollWakeTime, waitFor } from './long-poll.js';
import { PollAnswerSlots, pollAnswerSlots } from './poll-answer-slots.js';
import type { RetentionPolicy } from './retention-policy.js';
import { deleteLocked, runRetention, type RetentionOutcome } from './retention-task.js';
import { startOrUpdate } from './start-execution.js';
import * as taskEntryPoints from './task-entry-points.js';
import { TaskProcessor, type TaskHost, type TaskProcessorOptions } from './task-processor.js';
import { Transaction } from './transaction.js';
import type { TreeNode } from '../tree/node.js';

export interface ChasmEngineOptions {
  readonly store: ExecutionStore;
  readonly registry: Registry;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: PromRegistry;
  /** Identifies this node in shard ownership. */
  readonly owner?: string;
  readonly cacheSize?: number;
  /**
   * Cached executions unused this long are dropped (default 60 s; 0 keeps them until the size
   * bound evicts them): idle schedules and long-waiting workflows cost no memory.
   */
  readonly cacheIdleMs?: number;
  readonly tasks?: TaskProcessorOptions;
  /**
   * How long closed executions are kept, per namespace. Each closing commit arms a timer that
   * deletes the execution when it runs out. Default: kept forever.
   */
  readonly retention?: RetentionPolicy;
  /** A span around each commit (the runtime's OpenTelemetry tracer when traces are on). */
  readonly tracer?: CommitTracer;
  /**
   * Requests that may wait for one execution's lock behind the one holding it; the next is
   * refused RESOURCE_EXHAUSTED (BUSY_WORKFLOW, scope NAMESPACE). Default 500
   * (DEFAULT_MAX_WAITING_PER_EXECUTION).
   */
  readonly maxWaitingPerExecution?: number;
}

/**
 * Temporal bounds the wait for a workflow's lock by time (the caller's deadline less 500 ms);
 * we bound the queue by count, which also bounds the memory a hot execution pins. 500 waiting
 * requests is about a second of commits to one execution on Postgres here.
 */
export const DEFAULT_MAX_WAITING_PER_EXECUTION = 500;

/**
 * The CHASM engine: single writer per execution (an async lock per business id), executions
 * cached while this node owns their shard, every commit one store transaction fenced by the
 * shard lease, tasks handed to the processor right after commit.
 *
 * This class is the API component authors and feature packages call (start, update, read,
 * poll, …). The plumbing underneath lives next to it: `execution-access.ts` (locks, cache,
 * load, commit), `start-execution.ts` (id policies and creating runs), `task-entry-points.ts`
 * (what the task processor calls), `shard-leases.ts` and `long-poll.ts`.
 */
export class ChasmEngine implements Engine, TaskHost {
  readonly clock: Clock;
  readonly processor: TaskProcessor;
  readonly owner: string;
  private readonly access: ExecutionAccess;
  private evictTimer: ReturnType<typeof setInterval> | undefined;
  private readonly metrics: EngineMetrics | undefined;

  constructor(private readonly opts: ChasmEngineOptions) {
    this.clock = opts.clock ?? systemClock;
    this.owner = opts.owner ?? `node-${randomUUID()}`;
    const metrics = opts.metrics ? new EngineMetrics(opts.metrics) : undefined;
    this.metrics = metrics;
    this.processor = new TaskProcessor(this, opts.store, this.clock, opts.logger, metrics, opts.tasks);
    this.access = new ExecutionAccess({
      store: opts.store,
      registry: opts.registry,
      clock: this.clock,
      logger: opts.logger,
      metrics,
      cacheSize: opts.cacheSize ?? 10_000,
      tasks: this.processor,
      retention: opts.retention,
      tracer: opts.tracer,
      maxWaitingPerExecution: opts.maxWaitingPerExecution ?? DEFAULT_MAX_WAITING_PER_EXECUTION,
    });
    metrics?.watchShards(() => this.access.leases.owned().length);
  }

  get store(): ExecutionStore {
    return this.opts.store;
  }
  get registry(): Registry {
    return this.opts.registry;
  }

  /** Takes ownership of every shard (single-node mode) and starts task processing. */
  async startup(): Promise<void> {
    const leases = await this.access.leases.acquireAll(this.opts.store, this.owner);
    await this.processor.start(leases);
    const idleMs = this.opts.cacheIdleMs ?? 60_000;
    if (idleMs > 0) {
      this.evictTimer = setInterval(() => {
        this.access.cache.evictIdle(idleMs);
        this.metrics?.cachedExecutions.set(this.access.cache.size);
      }, Math.min(idleMs, 30_000));
      this.evictTimer.unref();
    }
  }

  async shutdown(): Promise<void> {
    clearInterval(this.evictTimer);
    await this.processor.stop();
  }

  // ---------------------------------------------------------------- public API

  async start<TState, TChildren extends ChildSpecs, TOut = void>(
    type: ComponentType<TState, TChildren>,
    id: { readonly namespaceId: string; readonly businessId: string },
    opts: StartOptions<TState, TChildren, TOut>,
  ): Promise<StartResult<TOut>> {
    const r = await startOrUpdate(this.access, type as AnyComponentType, id, opts as StartOptions<unknown, ChildSpecs, unknown>, undefined);
    return r as StartResult<TOut>;
  }

  async updateWithStart<TState, TChildren extends ChildSpecs, TOut>(
    type: ComponentType<TState, TChildren>,
    id: { readonly namespaceId: string; readonly businessId: string },
    start: Omit<StartOptions<TState, TChildren, unknown>, 'conflictPolicy'>,
    fn: (component: Component<TState, TChildren>, ctx: MutableContext) => TOut,
  ): Promise<UpdateResult<TOut> & { readonly created: boolean; readonly runId: string }> {
    const r = await startOrUpdate(
      this.access,
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
    opts?: UpdateOptions<Component<TState, TChildren>>,
  ): Promise<UpdateResult<TOut>>;
  update<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: MutableContext) => TOut, opts?: UpdateOptions): Promise<UpdateResult<TOut>>;
  async update<TOut>(target: Target, fn: (component: AnyComponent, ctx: MutableContext) => TOut, opts?: UpdateOptions): Promise<UpdateResult<TOut>> {
    const a = this.access;
    return a.retryConflicts(() =>
      a.locked(target, async (key) => {
        const e = await a.load(key, isRef(target) ? target.executionTc : 0);
        if (opts?.requestId && e.row.requestIds.includes(opts.requestId)) throw new RequestIdAlreadyUsedError(opts.requestId);
        const node = a.resolveNode(e, target);
        if (opts?.precondition) {
          const txn = new Transaction(e.tree, key, this.clock.now(), e.row.transitionCount);
          opts.precondition(e.tree.wrap(node), txn.readContext());
        }
        if (opts?.speculative) return a.mutateSpeculative(e, node, fn);
        return a.mutate(e, node, fn, { requestId: opts?.requestId });
      }),
    );
  }

  read<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: Context) => TOut,
  ): Promise<TOut>;
  read<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: Context) => TOut): Promise<TOut>;
  async read<TOut>(target: Target, fn: (component: AnyComponent, ctx: Context) => TOut): Promise<TOut> {
    const a = this.access;
    return a.locked(target, async (key) => {
      const e = await a.load(key, isRef(target) ? target.executionTc : 0);
      const node = a.resolveNode(e, target);
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
    const now = this.clock.now();
    // A slot among the process's empty answers (pollAnswerSlots), given back however the poll ends.
    const slot = opts.deadline ? pollAnswerSlots.book(pollWakeTime(now, opts.deadline).getTime(), now.getTime()) : undefined;
    const wakeAt = slot ? new Date(slot.atMs) : undefined;
    try {
      return await this.#pollLoop(target, fn, opts, wakeAt);
    } finally {
      slot?.release();
    }
  }

  async #pollLoop<TOut>(
    target: Target,
    fn: (component: AnyComponent, ctx: Context) => TOut | undefined,
    opts: PollOptions,
    wakeAt: Date | undefined,
  ): Promise<PollResult<TOut>> {
    const a = this.access;
    // A pinned run whose node needs no task check can be re-evaluated by the commit that wakes
    // the poll (below); the current run of a business id is resolved again under the lock.
    const pinned = isRef(target) ? target.taskId === undefined : target.runId !== undefined && target.runId !== '';
    for (;;) {
      let wake!: () => void;
      const woken = new Promise<'woken'>((r) => (wake = () => r('woken')));
      let unsubscribe: (() => void) | undefined;
      let ref!: ComponentRef;
      let early: PollResult<TOut> | undefined;
      const value = await a.locked(target, async (key) => {
        const e = await a.load(key, isRef(target) ? target.executionTc : 0);
        const node = a.resolveNode(e, target);
        const txn = new Transaction(e.tree, key, this.clock.now(), e.row.transitionCount);
        const component = e.tree.wrap(node);
        ref = txn.ref(component);
        const v = fn(component, txn.readContext());
        // Subscribe before the lock is released so no commit can slip between check and wait.
        if (v === undefined) {
          unsubscribe = a.notifier.subscribe(
            executionKeyString(key),
            pinned
              ? () => {
                  early = this.#evaluateAtNotify(key, e, node, fn);
                  wake();
                }
              : wake,
          );
        }
        return v;
      });
      if (value !== undefined) return { value, ref };
      const outcome = await waitFor(woken, wakeAt, opts.signal, this.clock);
      unsubscribe?.();
      if (early) return early;
      if (outcome !== 'woken') return { value: undefined, ref };
    }
  }

  /**
   * A waiting poll's predicate, evaluated by the transaction that notifies it: still under that
   * transaction's lock, after its commit was written and applied (or its speculative change
   * made), on the very state a re-evaluation under the lock would read. The poll then answers
   * without queueing for the lock behind the committer's own reply (an update's outcome is sent
   * before the completion that produced it is answered). Only for the same cached execution and
   * node; anything else (reloaded, node replaced, a throwing predicate) is left to the loop.
   */
  #evaluateAtNotify<TOut>(
    key: ExecutionKey,
    e: CachedExecution,
    node: TreeNode,
    fn: (component: AnyComponent, ctx: Context) => TOut | undefined,
  ): PollResult<TOut> | undefined {
    if (this.access.cache.peek(key) !== e || e.tree.nodes.get(node.path) !== node) return undefined;
    try {
      const txn = new Transaction(e.tree, key, this.clock.now(), e.row.transitionCount);
      const component = e.tree.wrap(node);
      const value = fn(component, txn.readContext());
      return value === undefined ? undefined : { value, ref: txn.ref(component) };
    } catch {
      return undefined;
    }
  }

  async describe(target: Target): Promise<ExecutionInfo & { readonly runId: string }> {
    return this.access.locked(target, async (key) => {
      const e = await this.access.load(key, 0);
      const { status, startTime, closeTime, transitionCount, runId } = e.row;
      return { status, startTime, closeTime, transitionCount, runId };
    });
  }

  async delete(target: Target, reason = 'deleted'): Promise<void> {
    const a = this.access;
    await a.retryConflicts(() =>
      a.locked(target, async (key) => {
        const e = await a.load(key, 0);
        if (isOpenStatus(e.row.status)) await this.terminateLocked(e, reason);
        await deleteLocked(a, key, e.row.shardId);
        this.metrics?.executionsDeleted.inc({ reason: 'request' });
      }),
    );
  }

  /**
   * Deletes up to `limit` executions of a namespace on the shards this node owns, without
   * terminating them: the namespace was deleted, so nothing of it may run or be notified any
   * more. `found` 0 means none is left on this node's shards. Each delete is one fenced store
   * call, so an interrupted purge simply goes on with the next batch. An execution whose
   * visibility record is being written right now is left for the next batch (`found` counts
   * it, `deleted` does not): a write landing after the delete would bring its row back.
   */
  async purgeNamespace(namespaceId: string, limit = 100): Promise<{ readonly found: number; readonly deleted: number }> {
    const a = this.access;
    const refs = await this.opts.store.listNamespaceExecutions(namespaceId, a.leases.owned(), limit);
    let deleted = 0;
    // Concurrent deletes of different executions: the store joins them into few statements.
    await Promise.all(
      refs.map((r) =>
        a.locked(r, async (key) => {
          if ((a.cache.get(key)?.visibilityTaskIds.length ?? 0) > 0) return;
          await deleteLocked(a, key, r.shardId);
          deleted++;
          this.metrics?.executionsDeleted.inc({ reason: 'namespace' });
        }),
      ),
    );
    return { found: refs.length, deleted };
  }

  /** Force-closes an open (running or paused) execution through its root's `terminate`. */
  async terminate(target: Target, reason: string): Promise<void> {
    const a = this.access;
    await a.retryConflicts(() =>
      a.locked(target, async (key) => {
        const e = await a.load(key, 0);
        if (!isOpenStatus(e.row.status)) throw new FailedPreconditionError('execution is already closed');
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

  private async terminateLocked(e: CachedExecution, reason: string): Promise<void> {
    const rootType = e.tree.root.componentType!;
    if (!rootType.terminate) throw new FailedPreconditionError(`${rootType.name} executions cannot be terminated`);
    await this.access.mutate(e, e.tree.root, (root, ctx) => rootType.terminate!(root, ctx, reason), { forceStatus: 'terminated' });
  }

  // ------------------------------------------- task processor entry points (TaskHost), internal

  /** Runs every due pure task of the execution that owns `task`, in one transaction. */
  runDuePureTasks(task: TaskRow): Promise<'done' | 'finished' | { retryAt: Date }> {
    return taskEntryPoints.runDuePureTasks(this.access, task);
  }

  /**
   * Validates a side-effect task under the lock and returns the ref its handler re-enters
   * with, or undefined when the task is gone or stale (the caller deletes it).
   */
  prepareSideEffect(task: TaskRow): Promise<ComponentRef | undefined> {
    return taskEntryPoints.prepareSideEffect(this.access, task);
  }

  /** A side-effect task finished (or was dropped): forget it in memory; the processor deletes the row. */
  forgetTask(task: TaskRow): void {
    taskEntryPoints.forgetTask(this.access, task);
  }

  /** The visibility record for a visibility task, or undefined if the task was superseded. */
  visibilityRecord(task: TaskRow): Promise<VisibilityRecord | undefined> {
    return taskEntryPoints.visibilityRecord(this.access, task);
  }

  visibilityWritten(task: TaskRow): void {
    taskEntryPoints.visibilityWritten(this.access, task);
  }

  /** Runs a retention timer: deletes its execution if it still applies. */
  runRetention(task: TaskRow): Promise<RetentionOutcome> {
    return runRetention(this.access, task);
  }

  lease(shardId: number): ShardLease {
    return this.access.leases.get(shardId);
  }

  /** Called when a write was fenced off: this node must stop acting for the shard. */
  shardLost(shardId: number): void {
    this.access.shardLost(shardId);
  }
}

export { pollAnswerMarginMs, pollWakeTime, PollAnswerSlots, pollAnswerSlots };
export type { ExecutionStatus };
