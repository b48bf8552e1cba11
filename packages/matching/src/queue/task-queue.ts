import { ResourceExhaustedError, type Clock } from '@chasm/core';
import type { Logger } from 'pino';
import type { BacklogStore, BacklogTask } from '../backlog/backlog-store.js';
import { compareKeys, type TaskKey } from '../backlog/task-key.js';
import { TaskQueueOwnershipLostError } from '../errors.js';
import { FairnessCounters } from '../fairness/stride.js';
import type { PollerInfo, RateLimitSource, TaskQueueDescription, TaskQueueId, TaskQueueStats } from '../matching-service.js';
import type { MatchingMetrics } from '../metrics.js';
import type { EffectivePriority } from '../priority.js';
import { RateLimiter } from '../rate-limiter.js';
import type { AcceptResult, AddTaskResult, PolledTask, PollRequest, TaskQueueRef } from '../types.js';
import type { MatchingOptions } from '../matching-options.js';
import { OrderedBuffer } from './ordered-buffer.js';
import { RateTracker } from './rate-tracker.js';
import type { TaskQueueConfig } from './task-queue-config.js';

/** A new task, validated by the service. */
export interface NewTask {
  readonly payload: Uint8Array;
  readonly priority: EffectivePriority;
  readonly expiry: Date | undefined;
}

type QueuedTask = BacklogTask;

interface Waiter {
  readonly req: PollRequest;
  readonly startedMs: number;
  state: 'waiting' | 'busy' | 'done';
  /** The deadline passed or the client left while the accept hook ran. */
  expired: boolean;
  finish(result: PolledTask | undefined, error?: unknown): void;
}

interface PendingWrite {
  readonly task: Omit<QueuedTask, 'key'> & { readonly priority: number; readonly pass: number };
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Hand-off outcome: `retry` = the accept hook threw, the task must go back. */
type Delivery = AcceptResult | 'retry';

/** Ids of tasks handed out, until their delete commits: a re-read must not dispatch them again. */
type Outstanding = Set<number>;

/**
 * One task queue on its owner: waiting pollers, the in-memory head of the backlog, the writer
 * that batches appends, the reader that refills from the database, and dispatch.
 *
 * Reader invariant (durable queues): the buffer holds the lowest tasks of the backlog. When
 * `atEnd` is false, every stored task with key <= `readLevel` is in memory (buffered, handed out
 * or awaiting deletion) and tasks above it are read later in order. New writes below the read
 * level are merged into the buffer; writes that land while a read is in flight are merged after
 * it, against the new read level (Temporal's fair reader does the same).
 *
 * Sticky queues (`store` undefined) live in memory only: see ADR 0003.
 */
export class TaskQueue {
  readonly #buffer = new OrderedBuffer<QueuedTask>();
  readonly #waiters: Waiter[] = [];
  readonly #counters = new FairnessCounters();
  readonly #outstanding: Outstanding = new Set();
  readonly #pendingWrites: PendingWrite[] = [];
  readonly #deferredMerges: QueuedTask[] = [];
  readonly #pendingDeletes: TaskKey[] = [];
  readonly #countByPriority = new Map<number, number>();
  readonly #pollers = new Map<string, { lastAccessMs: number; ratePerSecond?: number }>();
  readonly #addRate = new RateTracker();
  readonly #dispatchRate = new RateTracker();
  readonly #addRateByPriority = new Map<number, RateTracker>();
  readonly #dispatchRateByPriority = new Map<number, RateTracker>();
  readonly #keyLimiters = new Map<string, RateLimiter>();
  readonly #queueLimiter: RateLimiter;
  readonly #labels: { namespace: string; taskqueue: string; task_type: string };

  #atEnd: boolean;
  #readLevel: TaskKey | undefined;
  #reading = false;
  #writing: Promise<void> | undefined;
  #deleting: Promise<void> | undefined;
  #dbLock: Promise<void> = Promise.resolve();
  #nextId = 0;
  #idLimit = 0;
  #syncSeq = 0;
  #closed = false;
  #pumpTimer: (() => void) | undefined;
  #pumpTimerAt = Infinity;
  #deleteTimer: (() => void) | undefined;
  #lastPollMs = -Infinity;
  #lastThrottledMs = -Infinity;
  #workerRate: number | undefined;
  #config: TaskQueueConfig;

  constructor(
    readonly id: TaskQueueId,
    readonly ref: TaskQueueRef,
    private rangeId: number,
    config: TaskQueueConfig,
    private readonly store: BacklogStore | undefined,
    private readonly deps: {
      readonly clock: Clock;
      readonly logger: Logger;
      readonly metrics: MatchingMetrics;
      readonly options: MatchingOptions;
      /** Called once when the queue stops working (ownership lost). */
      readonly onUnload: (q: TaskQueue) => void;
    },
  ) {
    this.#config = config;
    this.#atEnd = store === undefined;
    this.#queueLimiter = new RateLimiter(this.#effectiveRate().requestsPerSecond, this.#nowMs());
    this.#labels = {
      namespace: id.namespaceId,
      taskqueue: ref.kind === 'sticky' ? '__sticky__' : id.name,
      task_type: id.type,
    };
    if (store) {
      // Ids are dense per range: [(range-1)*size+1, range*size], so they grow across owners.
      this.#setIdBlock(rangeId);
    }
  }

  /** Restores fairness state and counts from the backlog, then starts reading it. */
  resume(summary: Awaited<ReturnType<BacklogStore['summary']>>): void {
    for (const [p, n] of summary.countByPriority) this.#countByPriority.set(p, n);
    for (const [p, level] of summary.levels) this.#counters.restore(p, level.minPass, level.maxPassByKey);
    this.#updateBacklogGauge();
    this.#maybeRefill();
  }

  get closed(): boolean {
    return this.#closed;
  }

  get config(): TaskQueueConfig {
    return this.#config;
  }

  /** For sticky queues: has a worker polled within the window (or is one waiting now)? */
  hasRecentPoller(windowMs: number): boolean {
    return this.#waiters.length > 0 || this.#nowMs() - this.#lastPollMs <= windowMs;
  }

  // ---------------------------------------------------------------------------------- add

  async add(task: NewTask): Promise<AddTaskResult> {
    this.#assertOpen();
    const now = this.#nowMs();
    this.deps.metrics.tasksAdded.inc(this.#labels);
    if (task.expiry && task.expiry.getTime() <= now) {
      this.deps.metrics.tasksDropped.inc({ ...this.#labels, reason: 'expired' });
      return { outcome: 'dropped' };
    }
    const p = task.priority;
    const weight = this.#weightOf(p.fairnessKey, p.fairnessWeight);
    this.#addRate.record(now);
    this.#tracker(this.#addRateByPriority, p.priorityKey).record(now);

    // Sync match: only when nothing queued should go first (same or better priority), so new
    // tasks never overtake a backlog.
    while (this.#waiters.length > 0 && !this.#hasBacklogAtOrAbove(p.priorityKey)) {
      if (!this.#takeTokens(p.fairnessKey, weight, now)) break;
      const waiter = this.#waiters.shift() as Waiter;
      const polled = this.#polled(
        { key: { priority: p.priorityKey, pass: 0, taskId: --this.#syncSeq }, fairnessKey: p.fairnessKey, fairnessWeight: weight, payload: task.payload, expiry: task.expiry, createdAt: new Date(now) },
        true,
      );
      const d = await this.#deliver(waiter, polled);
      if (d === 'retry') continue;
      this.deps.metrics.tasksSyncMatched.inc(this.#labels);
      if (d === 'stale') {
        this.deps.metrics.tasksDropped.inc({ ...this.#labels, reason: 'stale' });
        return { outcome: 'dropped' };
      }
      return { outcome: 'sync-matched' };
    }
    await this.#spool(task, weight, now);
    return { outcome: 'spooled' };
  }

  #hasBacklogAtOrAbove(priority: number): boolean {
    const best = this.#buffer.best();
    if (best && best.key.priority <= priority) return true;
    if (!this.#atEnd && (this.#readLevel === undefined || this.#readLevel.priority <= priority)) return true;
    return this.#pendingWrites.some((w) => w.task.priority <= priority) || this.#deferredMerges.length > 0;
  }

  async #spool(task: NewTask, weight: number, nowMs: number): Promise<void> {
    const p = task.priority;
    const pass = this.#counters.next(p.priorityKey, p.fairnessKey, weight);
    const base = {
      fairnessKey: p.fairnessKey,
      fairnessWeight: weight,
      payload: task.payload,
      expiry: task.expiry,
      createdAt: new Date(nowMs),
    };
    if (!this.store) {
      // Memory-only (sticky): queued as soon as it is in the buffer.
      this.#buffer.insert({ ...base, key: { priority: p.priorityKey, pass, taskId: ++this.#nextId } });
      this.#countChange(p.priorityKey, 1);
      this.deps.metrics.tasksSpooled.inc(this.#labels);
      this.#pump();
      return;
    }
    if (this.#pendingWrites.length >= this.deps.options.maxOutstandingAppends) {
      throw new ResourceExhaustedError('Too many outstanding appends to the task queue', 'SYSTEM_OVERLOADED');
    }
    await new Promise<void>((resolve, reject) => {
      this.#pendingWrites.push({ task: { ...base, priority: p.priorityKey, pass }, resolve, reject });
      this.#writing ??= this.#writeLoop().finally(() => (this.#writing = undefined));
    });
  }

  /** One writer per queue: appends accumulate while a batch is in flight, then go as one. */
  async #writeLoop(): Promise<void> {
    const store = this.store as BacklogStore;
    while (this.#pendingWrites.length > 0 && !this.#closed) {
      const batch = this.#pendingWrites.splice(0, this.deps.options.writeBatchSize);
      try {
        if (this.#nextId + batch.length > this.#idLimit) {
          this.rangeId = await store.renewRange(this.id, this.rangeId);
          this.#setIdBlock(this.rangeId);
        }
        const tasks: QueuedTask[] = batch.map(({ task }) => ({
          key: { priority: task.priority, pass: task.pass, taskId: ++this.#nextId },
          fairnessKey: task.fairnessKey,
          fairnessWeight: task.fairnessWeight,
          payload: task.payload,
          expiry: task.expiry,
          createdAt: task.createdAt,
        }));
        await store.append(this.id, this.rangeId, tasks);
        for (const t of tasks) {
          this.#countChange(t.key.priority, 1);
          if (this.#reading) this.#deferredMerges.push(t);
          else this.#merge(t);
        }
        this.deps.metrics.tasksSpooled.inc(this.#labels, tasks.length);
        for (const w of batch) w.resolve();
        this.#pump();
      } catch (e) {
        for (const w of batch) w.reject(e);
        if (e instanceof TaskQueueOwnershipLostError) {
          this.deps.logger.warn({ taskQueue: this.id.name, rangeId: this.rangeId }, 'task queue ownership lost; unloading');
          this.#unload(e);
          return;
        }
        // The write may have landed anyway: re-read from the last safe point so nothing is missed.
        this.#atEnd = false;
        this.deps.logger.error({ err: e, taskQueue: this.id.name }, 'backlog append failed');
      }
    }
    for (const w of this.#pendingWrites.splice(0)) w.reject(new TaskQueueOwnershipLostError(this.id.name, this.rangeId));
  }

  #setIdBlock(rangeId: number): void {
    const size = this.deps.options.rangeSize;
    this.#nextId = (rangeId - 1) * size;
    this.#idLimit = rangeId * size;
  }

  /** A written task enters memory if it is within what the reader covers. */
  #merge(t: QueuedTask): void {
    if (!this.#atEnd && (this.#readLevel === undefined || compareKeys(t.key, this.#readLevel) > 0)) return;
    this.#buffer.insert(t);
    while (this.#buffer.size > this.deps.options.bufferCapacity) {
      // Evicted tasks stay in the database and are read again in order.
      this.#buffer.popWorst();
      this.#atEnd = false;
      this.#readLevel = this.#buffer.worst()?.key;
    }
  }

  // --------------------------------------------------------------------------------- poll

  poll(req: PollRequest, signal: AbortSignal, deadline: Date | undefined): Promise<PolledTask | undefined> {
    const now = this.#nowMs();
    this.#seePoller(req, now);
    if (req.ratePerSecond !== undefined && req.ratePerSecond > 0) {
      this.#workerRate = req.ratePerSecond;
      this.#queueLimiter.setRate(this.#effectiveRate().requestsPerSecond, now);
    }
    const opts = this.deps.options;
    let waitMs = opts.maxPollWaitMs;
    if (deadline) waitMs = Math.min(waitMs, deadline.getTime() - now - opts.pollReturnBeforeDeadlineMs);
    if (this.#closed || signal.aborted || waitMs <= 0) {
      this.deps.metrics.pollLatency.observe({ ...this.#labels, poll_result: 'timeout' }, 0);
      return Promise.resolve(undefined);
    }
    return new Promise<PolledTask | undefined>((resolve, reject) => {
      const onEnd = (): void => {
        if (waiter.state === 'waiting') {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          waiter.finish(undefined);
        } else if (waiter.state === 'busy') {
          waiter.expired = true;
        }
      };
      const cancelTimer = this.deps.clock.schedule(new Date(now + waitMs), onEnd);
      signal.addEventListener('abort', onEnd, { once: true });
      const waiter: Waiter = {
        req,
        startedMs: now,
        state: 'waiting',
        expired: false,
        finish: (result, error) => {
          if (waiter.state === 'done') return;
          waiter.state = 'done';
          cancelTimer();
          signal.removeEventListener('abort', onEnd);
          const end = this.#nowMs();
          this.#seePoller(req, end);
          this.deps.metrics.pollLatency.observe(
            { ...this.#labels, poll_result: result ? 'task' : error ? 'error' : 'timeout' },
            (end - now) / 1000,
          );
          if (error !== undefined) reject(error);
          else resolve(result);
        },
      };
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  #seePoller(req: PollRequest, nowMs: number): void {
    this.#lastPollMs = nowMs;
    const info: { lastAccessMs: number; ratePerSecond?: number } = { lastAccessMs: nowMs };
    if (req.ratePerSecond !== undefined) info.ratePerSecond = req.ratePerSecond;
    this.#pollers.delete(req.identity); // keep insertion order = recency
    this.#pollers.set(req.identity, info);
    if (this.#pollers.size > 1000) {
      const oldest = this.#pollers.keys().next().value;
      if (oldest !== undefined) this.#pollers.delete(oldest);
    }
  }

  /**
   * Runs the accept hook, then resolves the poll. A stale task leaves the poller waiting (at the
   * front of the line, unless its time ran out meanwhile).
   */
  async #deliver(waiter: Waiter, task: PolledTask): Promise<Delivery> {
    waiter.state = 'busy';
    const accept = waiter.req.accept;
    if (!accept) {
      waiter.finish(task);
      return 'accepted';
    }
    let r: AcceptResult;
    try {
      r = await accept(task);
    } catch (e) {
      waiter.finish(undefined, e);
      return 'retry';
    }
    if (r === 'accepted') {
      waiter.finish(task);
      return 'accepted';
    }
    if (waiter.expired || this.#closed) waiter.finish(undefined);
    else {
      waiter.state = 'waiting';
      this.#waiters.unshift(waiter);
      this.#pump();
    }
    return 'stale';
  }

  #polled(t: QueuedTask, syncMatched: boolean): PolledTask {
    return {
      namespaceId: this.id.namespaceId,
      taskQueue: this.ref,
      type: this.id.type,
      payload: t.payload,
      priority: { priorityKey: t.key.priority, fairnessKey: t.fairnessKey, fairnessWeight: t.fairnessWeight },
      taskId: t.key.taskId,
      createdAt: t.createdAt,
      ...(t.expiry ? { scheduleToStartExpiry: t.expiry } : {}),
      syncMatched,
      backlogCountHint: this.#buffer.size,
    };
  }

  // ----------------------------------------------------------------------------- dispatch

  /** Matches waiting pollers with buffered tasks, best first, within the rate limits. */
  #pump(): void {
    if (this.#closed) return;
    const now = this.#nowMs();
    let retryInMs = Infinity;
    while (this.#waiters.length > 0 && this.#buffer.size > 0) {
      const queueWait = this.#queueLimiter.waitMs(now);
      if (queueWait > 0) {
        this.#lastThrottledMs = now;
        retryInMs = queueWait;
        break;
      }
      let chosen: QueuedTask | undefined;
      const expired: QueuedTask[] = [];
      for (const t of this.#buffer.fromBest()) {
        if (t.expiry && t.expiry.getTime() <= now) {
          expired.push(t);
          continue;
        }
        const wait = this.#keyLimiter(t.fairnessKey, t.fairnessWeight, now)?.waitMs(now) ?? 0;
        if (wait === 0) {
          chosen = t;
          break;
        }
        // A throttled key is skipped so other keys proceed.
        this.#lastThrottledMs = now;
        retryInMs = Math.min(retryInMs, wait);
      }
      for (const t of expired) {
        this.#buffer.remove(t);
        this.deps.metrics.tasksDropped.inc({ ...this.#labels, reason: 'expired' });
        this.#ack(t);
      }
      if (!chosen) break;
      this.#queueLimiter.tryTake(now);
      this.#keyLimiter(chosen.fairnessKey, chosen.fairnessWeight, now)?.tryTake(now);
      this.#buffer.remove(chosen);
      this.#outstanding.add(chosen.key.taskId);
      this.#counters.advance(chosen.key.priority, chosen.key.pass);
      const waiter = this.#waiters.shift() as Waiter;
      void this.#dispatchBacklog(waiter, chosen);
    }
    if (retryInMs !== Infinity && this.#waiters.length > 0) this.#armPump(now + retryInMs);
    this.#maybeRefill();
  }

  async #dispatchBacklog(waiter: Waiter, t: QueuedTask): Promise<void> {
    const d = await this.#deliver(waiter, this.#polled(t, false));
    if (d === 'retry') {
      // Back into memory if the reader covers it; otherwise it stays in the DB for a re-read.
      this.#outstanding.delete(t.key.taskId);
      if (this.#atEnd || (this.#readLevel !== undefined && compareKeys(t.key, this.#readLevel) <= 0)) {
        this.#buffer.insert(t);
      }
      this.#pump();
      return;
    }
    if (d === 'stale') this.deps.metrics.tasksDropped.inc({ ...this.#labels, reason: 'stale' });
    this.#ack(t);
  }

  #armPump(atMs: number): void {
    if (this.#pumpTimer && this.#pumpTimerAt <= atMs) return;
    this.#pumpTimer?.();
    this.#pumpTimerAt = atMs;
    this.#pumpTimer = this.deps.clock.schedule(new Date(atMs), () => {
      this.#pumpTimer = undefined;
      this.#pumpTimerAt = Infinity;
      this.#pump();
    });
  }

  /** A backlog task was handed over (or dropped): count it and delete it in the next batch. */
  #ack(t: QueuedTask): void {
    const now = this.#nowMs();
    this.#dispatchRate.record(now);
    this.#tracker(this.#dispatchRateByPriority, t.key.priority).record(now);
    this.deps.metrics.tasksDispatched.inc(this.#labels);
    this.#countChange(t.key.priority, -1);
    if (!this.store) return;
    this.#outstanding.add(t.key.taskId);
    this.#pendingDeletes.push(t.key);
    if (this.#pendingDeletes.length >= this.deps.options.deleteBatchSize) this.#flushDeletes();
    else this.#deleteTimer ??= this.deps.clock.schedule(new Date(now + this.deps.options.deleteIntervalMs), () => this.#flushDeletes());
  }

  #flushDeletes(): Promise<void> {
    this.#deleteTimer?.();
    this.#deleteTimer = undefined;
    if (this.#pendingDeletes.length === 0 || !this.store) return this.#deleting ?? Promise.resolve();
    const keys = this.#pendingDeletes.splice(0);
    const store = this.store;
    const run = this.#withDbLock(async () => {
      try {
        await store.delete(this.id, keys);
        for (const k of keys) this.#outstanding.delete(k.taskId);
      } catch (e) {
        // Harmless to retry: at worst a task is delivered again (at-least-once).
        this.deps.logger.warn({ err: e, taskQueue: this.id.name }, 'backlog delete failed; will retry');
        this.#pendingDeletes.push(...keys);
        if (!this.#closed) this.#deleteTimer ??= this.deps.clock.schedule(new Date(this.#nowMs() + 1000), () => this.#flushDeletes());
      }
    });
    this.#deleting = run.finally(() => {
      if (this.#deleting === tracked) this.#deleting = undefined;
    });
    const tracked = this.#deleting;
    return run;
  }

  #maybeRefill(): void {
    if (!this.store || this.#atEnd || this.#reading || this.#closed) return;
    if (this.#buffer.size >= this.deps.options.reloadAt) return;
    this.#reading = true;
    const store = this.store;
    void this.#withDbLock(async () => {
      try {
        const rows = await store.read(this.id, this.#readLevel, this.deps.options.readBatchSize);
        const now = this.#nowMs();
        for (const t of rows) {
          if (this.#outstanding.has(t.key.taskId)) continue;
          if (t.expiry && t.expiry.getTime() <= now) {
            this.deps.metrics.tasksDropped.inc({ ...this.#labels, reason: 'expired' });
            this.#ack(t);
            continue;
          }
          this.#buffer.insert(t);
        }
        const last = rows[rows.length - 1];
        if (last) this.#readLevel = last.key;
        this.#atEnd = rows.length < this.deps.options.readBatchSize;
        this.#reading = false;
        for (const t of this.#deferredMerges.splice(0)) this.#merge(t);
        this.#pump();
      } catch (e) {
        this.#reading = false;
        this.deps.logger.error({ err: e, taskQueue: this.id.name }, 'backlog read failed; retrying');
        if (!this.#closed) this.deps.clock.schedule(new Date(this.#nowMs() + 1000), () => this.#maybeRefill());
      }
    });
  }

  /** Reads and deletes take turns, so a read never sees a row whose delete is half-recorded. */
  #withDbLock(fn: () => Promise<void>): Promise<void> {
    const run = this.#dbLock.then(fn);
    this.#dbLock = run.catch(() => undefined);
    return run;
  }

  // ------------------------------------------------------------------------- rate limits

  #effectiveRate(): { requestsPerSecond: number; source: RateLimitSource } {
    const api = this.#config.queueRateLimit;
    if (api) return { requestsPerSecond: api.requestsPerSecond, source: 'api' };
    if (this.#workerRate !== undefined) return { requestsPerSecond: this.#workerRate, source: 'worker' };
    return { requestsPerSecond: this.deps.options.systemRateLimit, source: 'system' };
  }

  #weightOf(key: string, taskWeight: number): number {
    return this.#config.fairnessWeightOverrides[key] ?? taskWeight;
  }

  /** Per-key limiter (default per-key rate scaled by the key's weight), if a default is set. */
  #keyLimiter(key: string, weight: number, nowMs: number): RateLimiter | undefined {
    const def = this.#config.fairnessKeysRateLimitDefault;
    if (!def) return undefined;
    const rate = def.requestsPerSecond * this.#weightOf(key, weight);
    let l = this.#keyLimiters.get(key);
    if (!l) {
      if (this.#keyLimiters.size >= 2000) {
        const oldest = this.#keyLimiters.keys().next().value;
        if (oldest !== undefined) this.#keyLimiters.delete(oldest);
      }
      this.#keyLimiters.set(key, (l = new RateLimiter(rate, nowMs)));
    } else l.setRate(rate, nowMs);
    return l;
  }

  #takeTokens(key: string, weight: number, nowMs: number): boolean {
    const keyLimiter = this.#keyLimiter(key, weight, nowMs);
    if (this.#queueLimiter.waitMs(nowMs) > 0 || (keyLimiter && keyLimiter.waitMs(nowMs) > 0)) {
      this.#lastThrottledMs = nowMs;
      return false;
    }
    this.#queueLimiter.tryTake(nowMs);
    keyLimiter?.tryTake(nowMs);
    return true;
  }

  // ------------------------------------------------------------------------------ config

  async updateConfig(config: TaskQueueConfig): Promise<void> {
    this.#assertOpen();
    if (this.store) {
      try {
        await this.store.saveConfig(this.id, this.rangeId, config);
      } catch (e) {
        if (e instanceof TaskQueueOwnershipLostError) this.#unload(e);
        throw e;
      }
    }
    this.#config = config;
    const now = this.#nowMs();
    this.#queueLimiter.setRate(this.#effectiveRate().requestsPerSecond, now);
    this.#keyLimiters.clear();
    this.#pump();
  }

  describe(): TaskQueueDescription {
    const now = this.#nowMs();
    const pollers: PollerInfo[] = [];
    for (const [identity, p] of this.#pollers) {
      if (now - p.lastAccessMs > this.deps.options.pollerHistoryTtlMs) continue;
      pollers.push({
        identity,
        lastAccessTime: new Date(p.lastAccessMs),
        ...(p.ratePerSecond !== undefined ? { ratePerSecond: p.ratePerSecond } : {}),
      });
    }
    pollers.reverse();
    const oldestByPriority = new Map<number, number>();
    for (const t of this.#buffer.fromBest()) {
      const o = oldestByPriority.get(t.key.priority);
      if (o === undefined || t.createdAt.getTime() < o) oldestByPriority.set(t.key.priority, t.createdAt.getTime());
    }
    const throttled = now - this.#lastThrottledMs <= RateTracker.WINDOW_MS;
    const statsByPriorityKey = new Map<number, TaskQueueStats>();
    const priorities = new Set([
      ...this.#countByPriority.keys(),
      ...this.#addRateByPriority.keys(),
      ...this.#dispatchRateByPriority.keys(),
    ]);
    for (const p of [...priorities].sort((a, b) => a - b)) {
      const oldest = oldestByPriority.get(p);
      statsByPriorityKey.set(p, {
        approximateBacklogCount: this.#countByPriority.get(p) ?? 0,
        approximateBacklogAgeMs: oldest === undefined ? 0 : now - oldest,
        tasksAddRate: this.#addRateByPriority.get(p)?.perSecond(now) ?? 0,
        tasksDispatchRate: this.#dispatchRateByPriority.get(p)?.perSecond(now) ?? 0,
        rateLimitingActive: throttled,
      });
    }
    const oldest = Math.min(...oldestByPriority.values());
    return {
      pollers,
      stats: {
        approximateBacklogCount: [...this.#countByPriority.values()].reduce((a, b) => a + b, 0),
        approximateBacklogAgeMs: Number.isFinite(oldest) ? now - oldest : 0,
        tasksAddRate: this.#addRate.perSecond(now),
        tasksDispatchRate: this.#dispatchRate.perSecond(now),
        rateLimitingActive: throttled,
      },
      statsByPriorityKey,
      config: this.#config,
      effectiveRateLimit: this.#effectiveRate(),
    };
  }

  // --------------------------------------------------------------------------- lifecycle

  /** Stops the queue: waiting polls return empty, appends in flight finish, acks are flushed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const writing = this.#writing;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.finish(undefined);
    this.#pumpTimer?.();
    await writing?.catch(() => undefined);
    await this.#flushDeletes().catch(() => undefined);
    await this.#dbLock;
    this.deps.metrics.backlogCount.remove(this.#labels);
  }

  /** Polls on a closed queue: the poller is released, the owner loads a fresh queue. */
  #unload(cause: unknown): void {
    if (this.#closed) return;
    this.deps.logger.info({ taskQueue: this.id.name, cause: String(cause) }, 'unloading task queue');
    void this.close();
    this.deps.onUnload(this);
  }

  #assertOpen(): void {
    if (this.#closed) throw new TaskQueueOwnershipLostError(this.id.name, this.rangeId);
  }

  #countChange(priority: number, delta: number): void {
    this.#countByPriority.set(priority, Math.max(0, (this.#countByPriority.get(priority) ?? 0) + delta));
    this.#updateBacklogGauge();
  }

  #updateBacklogGauge(): void {
    let n = 0;
    for (const v of this.#countByPriority.values()) n += v;
    this.deps.metrics.backlogCount.set(this.#labels, n);
  }

  #tracker(map: Map<number, RateTracker>, priority: number): RateTracker {
    let t = map.get(priority);
    if (!t) map.set(priority, (t = new RateTracker()));
    return t;
  }

  #nowMs(): number {
    return this.deps.clock.now().getTime();
  }
}
