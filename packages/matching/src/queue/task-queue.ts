import { pollAnswerMarginMs, pollAnswerSlots, withFields, type Clock } from '@chasm/core';
import type { Logger } from 'pino';
import type { BacklogStore, BacklogTask } from '../backlog/backlog-store.js';
import { TaskQueueOwnershipLostError } from '../errors.js';
import { FairnessCounters } from '../fairness/stride.js';
import type { PollerInfo, RateLimitSource, TaskQueueDescription, TaskQueueId, TaskQueueStats } from '../matching-service.js';
import type { MatchingMetrics } from '../metrics.js';
import type { EffectivePriority } from '../priority.js';
import { RateLimiter } from '../rate-limiter.js';
import type { AcceptResult, AddTaskOutcome, AddTaskResult, PolledTask, PollerReservation, PollRequest, TaskQueueRef } from '../types.js';
import type { MatchingOptions } from '../matching-options.js';
import { BacklogIO } from './backlog-io.js';
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
  /** When the poll answers empty unless a task comes first. */
  readonly endsAtMs: number;
  readonly signal: AbortSignal;
  /** `reserved`: out of the line, held for a task its reserver is committing (`reserve`). */
  state: 'waiting' | 'busy' | 'reserved' | 'done';
  /** The deadline passed or the client left while the accept hook ran (or while reserved). */
  expired: boolean;
  finish(result: PolledTask | undefined, error?: unknown): void;
}

/**
 * A sync-only task (`syncOnlyUntil`) waiting for a poller. It lives only here, never in the
 * backlog, and its `add` call resolves when a poller takes it or its time is up.
 */
interface Offer {
  readonly task: QueuedTask;
  /** Its time ran out while a poller's accept hook ran: do not offer it again. */
  expired: boolean;
  settle(outcome: AddTaskOutcome): void;
}

/** Hand-off outcome: `retry` = the accept hook threw, the task must go back. */
type Delivery = AcceptResult | 'retry';

/**
 * One task queue on its owner: dispatch. Waiting pollers, sync match, handing out the backlog's
 * best task within the rate limits, and the queue's stats. The backlog itself (the in-memory
 * head, the writer, the reader and acks) is `BacklogIO`.
 */
export class TaskQueue {
  readonly #waiters: Waiter[] = [];
  /** Pollers out of the line for a reserver's commit; released or answered at close. */
  readonly #reserved = new Set<Waiter>();
  readonly #offers: Offer[] = [];
  readonly #counters = new FairnessCounters();
  readonly #backlog: BacklogIO;
  readonly #countByPriority = new Map<number, number>();
  readonly #pollers = new Map<string, { lastAccessMs: number; ratePerSecond?: number }>();
  readonly #addRate = new RateTracker();
  readonly #dispatchRate = new RateTracker();
  readonly #addRateByPriority = new Map<number, RateTracker>();
  readonly #dispatchRateByPriority = new Map<number, RateTracker>();
  readonly #keyLimiters = new Map<string, RateLimiter>();
  readonly #queueLimiter: RateLimiter;
  readonly #labels: { namespace: string; taskqueue: string; task_type: string };
  /** The labels plus one more (reason, outcome, poll_result), each built once: metrics are counted on every poll and task. */
  readonly #labelsPlusCache = new Map<string, Readonly<Record<string, string>>>();

  #syncSeq = 0;
  #closed = false;
  #pumpTimer: (() => void) | undefined;
  #pumpTimerAt = Infinity;
  #lastPollMs = -Infinity;
  #lastThrottledMs = -Infinity;
  #workerRate: number | undefined;
  #config: TaskQueueConfig;

  constructor(
    readonly id: TaskQueueId,
    readonly ref: TaskQueueRef,
    rangeId: number,
    config: TaskQueueConfig,
    store: BacklogStore | undefined,
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
    this.#backlog = new BacklogIO(id, rangeId, store, {
      clock: deps.clock,
      logger: deps.logger,
      options: deps.options,
      events: {
        appended: (tasks) => {
          for (const t of tasks) this.#countChange(t.key.priority, 1);
          this.deps.metrics.tasksSpooled.inc(this.#labels, tasks.length);
          this.#pump();
        },
        refilled: () => this.#pump(),
        expired: (t) => {
          this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'expired'));
          this.#ack(t);
        },
        ownershipLost: (e) => this.#unload(e),
      },
    });
    this.#queueLimiter = new RateLimiter(this.#effectiveRate().requestsPerSecond, this.#nowMs());
    this.#labels = {
      namespace: id.namespaceId,
      taskqueue: ref.kind === 'sticky' ? '__sticky__' : id.name,
      task_type: id.type,
    };
  }

  /** Restores fairness state and counts from the backlog, then starts reading it. */
  resume(summary: Awaited<ReturnType<BacklogStore['summary']>>): void {
    for (const [p, n] of summary.countByPriority) this.#countByPriority.set(p, n);
    for (const [p, level] of summary.levels) this.#counters.restore(p, level.minPass, level.maxPassByKey);
    this.#updateBacklogGauge();
    this.#backlog.resume(summary.countByPriority.size === 0);
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

  /** Adds a task; with `syncOnlyUntil` it waits for a poller until then instead of spooling. */
  async add(task: NewTask, syncOnlyUntil?: Date): Promise<AddTaskResult> {
    this.#assertOpen();
    const now = this.#nowMs();
    this.deps.metrics.tasksAdded.inc(this.#labels);
    if (task.expiry && task.expiry.getTime() <= now) {
      this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'expired'));
      return { outcome: 'dropped' };
    }
    const p = task.priority;
    const weight = this.#weightOf(p.fairnessKey, p.fairnessWeight);
    this.#addRate.record(now);
    this.#tracker(this.#addRateByPriority, p.priorityKey).record(now);
    if (syncOnlyUntil) return this.#offer(task, weight, syncOnlyUntil, now);

    // Sync match: only when nothing queued should go first (same or better priority), so new
    // tasks never overtake a backlog.
    while (this.#waiters.length > 0 && !this.#backlog.hasTaskAtOrAbove(p.priorityKey)) {
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
        this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'stale'));
        return { outcome: 'dropped' };
      }
      return { outcome: 'sync-matched' };
    }
    await this.#spool(task, weight, now);
    return { outcome: 'spooled' };
  }

  /**
   * A sync-only task: offered to waiting pollers (ahead of the backlog, since it cannot wait) and
   * to every poller that arrives before `until`. Resolves `'expired'` at `until` unless a poller
   * took it; nothing is written to the database either way.
   */
  #offer(task: NewTask, weight: number, until: Date, nowMs: number): Promise<AddTaskResult> {
    if (until.getTime() <= nowMs) {
      this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'expired'));
      return Promise.resolve({ outcome: 'expired' });
    }
    const p = task.priority;
    return new Promise<AddTaskResult>((resolve) => {
      let settled = false;
      const offer: Offer = {
        task: {
          key: { priority: p.priorityKey, pass: 0, taskId: --this.#syncSeq },
          fairnessKey: p.fairnessKey,
          fairnessWeight: weight,
          payload: task.payload,
          expiry: task.expiry,
          createdAt: new Date(nowMs),
        },
        expired: false,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          cancelTimer();
          const i = this.#offers.indexOf(offer);
          if (i >= 0) this.#offers.splice(i, 1);
          if (outcome === 'expired') this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'expired'));
          resolve({ outcome });
        },
      };
      const cancelTimer = this.deps.clock.schedule(until, () => {
        // While a poller's accept hook runs the offer is out of the list: that delivery decides.
        if (this.#offers.includes(offer)) offer.settle('expired');
        else offer.expired = true;
      });
      this.#offers.push(offer);
      this.#pump();
    });
  }

  async #dispatchOffer(waiter: Waiter, offer: Offer): Promise<void> {
    const d = await this.#deliver(waiter, this.#polled(offer.task, true));
    if (d === 'retry') {
      // The hook could not decide: offer it to the next poller while its time lasts.
      if (offer.expired || this.#closed) offer.settle('expired');
      else {
        this.#offers.unshift(offer);
        this.#pump();
      }
      return;
    }
    this.deps.metrics.tasksSyncMatched.inc(this.#labels);
    if (d === 'stale') {
      this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'stale'));
      offer.settle('dropped');
    } else offer.settle('sync-matched');
  }

  /** Queues the task in the backlog with its fairness pass; resolves once it is durable. */
  async #spool(task: NewTask, weight: number, nowMs: number): Promise<void> {
    const p = task.priority;
    const pass = this.#counters.next(p.priorityKey, p.fairnessKey, weight);
    await this.#backlog.append({
      fairnessKey: p.fairnessKey,
      fairnessWeight: weight,
      payload: task.payload,
      expiry: task.expiry,
      createdAt: new Date(nowMs),
      priority: p.priorityKey,
      pass,
    });
  }

  // ------------------------------------------------------------------------------ reserve

  /**
   * Takes the first waiting poller with time left, for a task its caller starts in its own commit
   * (MatchingService.reservePoller). The rules of a sync match apply: no sync-only offer or
   * backlog task of the same or a better priority waits (those go first), and the rate limits
   * give a token.
   */
  reserve(priority: EffectivePriority): PollerReservation | undefined {
    if (this.#closed || this.#waiters.length === 0 || this.#offers.length > 0) return undefined;
    if (this.#backlog.hasTaskAtOrAbove(priority.priorityKey)) return undefined;
    const now = this.#nowMs();
    const i = this.#waiters.findIndex((w) => w.endsAtMs - now >= this.deps.options.reserveMinRemainingMs && !w.signal.aborted);
    if (i < 0) return undefined;
    const weight = this.#weightOf(priority.fairnessKey, priority.fairnessWeight);
    if (!this.#takeTokens(priority.fairnessKey, weight, now)) return undefined;
    const waiter = this.#waiters.splice(i, 1)[0] as Waiter;
    waiter.state = 'reserved';
    this.#reserved.add(waiter);
    const labels = this.#labels;
    const metrics = this.deps.metrics;
    const ended = (): boolean => this.#closed || waiter.signal.aborted;
    return {
      identity: waiter.req.identity,
      ...(waiter.req.client ? { client: waiter.req.client } : {}),
      get alive() {
        return waiter.state === 'reserved' && !ended();
      },
      deliver: (task) => {
        if (waiter.state !== 'reserved') {
          // Answered empty by close(): the queue stopped while the reserver committed.
          if (this.#closed) metrics.pollerReservations.inc(this.#labelsPlus('outcome', 'lost'));
          return false;
        }
        this.#reserved.delete(waiter);
        if (ended()) {
          // The client left (or the queue closed): the poll ends empty, the task is not handed over.
          waiter.finish(undefined);
          metrics.pollerReservations.inc(this.#labelsPlus('outcome', 'lost'));
          return false;
        }
        const at = this.#nowMs();
        metrics.tasksAdded.inc(labels);
        this.#addRate.record(at);
        this.#tracker(this.#addRateByPriority, priority.priorityKey).record(at);
        metrics.tasksSyncMatched.inc(labels);
        metrics.pollerReservations.inc(this.#labelsPlus('outcome', 'delivered'));
        const queued: QueuedTask = {
          key: { priority: priority.priorityKey, pass: 0, taskId: --this.#syncSeq },
          fairnessKey: priority.fairnessKey,
          fairnessWeight: weight,
          payload: task.payload,
          expiry: undefined,
          createdAt: new Date(at),
        };
        // Deliberately after the poll's planned end if the commit was that slow: the client is
        // still there (not aborted), and the end was planned well before its deadline.
        waiter.finish(withFields(this.#polled(queued, true), { prepared: task.prepared }));
        return true;
      },
      release: () => {
        if (waiter.state !== 'reserved') return;
        this.#reserved.delete(waiter);
        metrics.pollerReservations.inc(this.#labelsPlus('outcome', 'released'));
        if (waiter.expired || ended()) {
          waiter.finish(undefined);
          return;
        }
        waiter.state = 'waiting';
        this.#waiters.unshift(waiter);
        this.#pump();
      },
    };
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
    if (deadline) {
      // Early enough that the caller reads the empty answer before its deadline even in a burst,
      // and spread so a burst's answers do not all leave in one tick (pollAnswerMarginMs).
      const remaining = deadline.getTime() - now;
      waitMs = Math.min(waitMs, remaining - pollAnswerMarginMs(remaining, opts.pollReturnBeforeDeadlineMs));
    }
    if (this.#closed || signal.aborted || waitMs <= 0) {
      this.deps.metrics.pollLatency.observe(this.#labelsPlus('poll_result', 'timeout'), 0);
      return Promise.resolve(undefined);
    }
    // A slot among the process's empty answers, so that a burst's answers leave early enough
    // (pollAnswerSlots); given back when the poll ends any other way.
    const slot = pollAnswerSlots.book(now + waitMs, now);
    waitMs = slot.atMs - now;
    return new Promise<PolledTask | undefined>((resolve, reject) => {
      const onEnd = (): void => {
        if (waiter.state === 'waiting') {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          waiter.finish(undefined);
        } else if (waiter.state === 'busy' || waiter.state === 'reserved') {
          // The accept hook or the reserver's commit decides; its outcome sees the flag.
          waiter.expired = true;
        }
      };
      const cancelTimer = this.deps.clock.schedule(new Date(now + waitMs), onEnd);
      signal.addEventListener('abort', onEnd, { once: true });
      const waiter: Waiter = {
        req,
        startedMs: now,
        endsAtMs: now + waitMs,
        signal,
        state: 'waiting',
        expired: false,
        finish: (result, error) => {
          if (waiter.state === 'done') return;
          waiter.state = 'done';
          cancelTimer();
          slot.release();
          signal.removeEventListener('abort', onEnd);
          const end = this.#nowMs();
          this.#seePoller(req, end);
          this.deps.metrics.pollLatency.observe(
            this.#labelsPlus('poll_result', result ? 'task' : error ? 'error' : 'timeout'),
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

  #labelsPlus(key: string, value: string): Readonly<Record<string, string>> {
    const k = `${key}\u0000${value}`;
    let l = this.#labelsPlusCache.get(k);
    if (l === undefined) {
      l = withFields(this.#labels, { [key]: value });
      this.#labelsPlusCache.set(k, l);
    }
    return l;
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
      backlogCountHint: this.#backlog.buffer.size,
    };
  }

  // ----------------------------------------------------------------------------- dispatch

  /** Matches waiting pollers with buffered tasks, best first, within the rate limits. */
  #pump(): void {
    if (this.#closed) return;
    const now = this.#nowMs();
    let retryInMs = Infinity;
    // Sync-only offers first: they expire with their caller's deadline, the backlog can wait.
    while (this.#waiters.length > 0 && this.#offers.length > 0) {
      const offer = this.#offers[0] as Offer;
      const wait = this.#tokenWaitMs(offer.task.fairnessKey, offer.task.fairnessWeight, now);
      if (wait > 0) {
        this.#lastThrottledMs = now;
        retryInMs = wait;
        break;
      }
      this.#queueLimiter.tryTake(now);
      this.#keyLimiter(offer.task.fairnessKey, offer.task.fairnessWeight, now)?.tryTake(now);
      this.#offers.shift();
      void this.#dispatchOffer(this.#waiters.shift() as Waiter, offer);
    }
    while (this.#waiters.length > 0 && this.#backlog.buffer.size > 0) {
      const queueWait = this.#queueLimiter.waitMs(now);
      if (queueWait > 0) {
        this.#lastThrottledMs = now;
        retryInMs = queueWait;
        break;
      }
      let chosen: QueuedTask | undefined;
      const expired: QueuedTask[] = [];
      for (const t of this.#backlog.buffer.fromBest()) {
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
        this.#backlog.buffer.remove(t);
        this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'expired'));
        this.#ack(t);
      }
      if (!chosen) break;
      this.#queueLimiter.tryTake(now);
      this.#keyLimiter(chosen.fairnessKey, chosen.fairnessWeight, now)?.tryTake(now);
      this.#backlog.take(chosen);
      this.#counters.advance(chosen.key.priority, chosen.key.pass);
      const waiter = this.#waiters.shift() as Waiter;
      void this.#dispatchBacklog(waiter, chosen);
    }
    if (retryInMs !== Infinity && this.#waiters.length > 0) this.#armPump(now + retryInMs);
    this.#backlog.maybeRefill();
  }

  async #dispatchBacklog(waiter: Waiter, t: QueuedTask): Promise<void> {
    const d = await this.#deliver(waiter, this.#polled(t, false));
    if (d === 'retry') {
      // Back into memory if the reader covers it; otherwise it stays in the DB for a re-read.
      this.#backlog.putBack(t);
      this.#pump();
      return;
    }
    if (d === 'stale') this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'stale'));
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
    this.#backlog.ack(t);
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

  /** How long until both the queue's and the key's limiter have a token (0: now). */
  #tokenWaitMs(key: string, weight: number, nowMs: number): number {
    return Math.max(this.#queueLimiter.waitMs(nowMs), this.#keyLimiter(key, weight, nowMs)?.waitMs(nowMs) ?? 0);
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
    await this.#backlog.saveConfig(config);
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
    for (const t of this.#backlog.buffer.fromBest()) {
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
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.finish(undefined);
    // A reserver's delivery after this finds the queue closed and reports the task undelivered.
    for (const w of this.#reserved) w.finish(undefined);
    this.#reserved.clear();
    // No poller of this queue will take them now; their callers see the same as a timeout.
    for (const o of [...this.#offers]) o.settle('expired');
    this.#pumpTimer?.();
    await this.#backlog.close();
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
    if (this.#closed) throw new TaskQueueOwnershipLostError(this.id.name, this.#backlog.rangeId);
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
