import { pollAnswerMarginMs, pollAnswerSlots, withFields, type Clock } from '@chasm/core';
import type { Logger } from 'pino';
import type { BacklogStore } from '../backlog/backlog-store.js';
import { TaskQueueOwnershipLostError } from '../errors.js';
import { FairnessCounters } from '../fairness/stride.js';
import type { TaskQueueDescription, TaskQueueId } from '../matching-service.js';
import type { MatchingMetrics } from '../metrics.js';
import type { EffectivePriority } from '../priority.js';
import type { AcceptResult, AddTaskResult, PolledTask, PollerReservation, PollRequest, TaskQueueRef } from '../types.js';
import type { MatchingOptions } from '../matching-options.js';
import { BacklogIO } from './backlog-io.js';
import { describeQueue } from './describe.js';
import { holdPoller, type ReservationHost } from './poller-reservations.js';
import { QueueRateLimits } from './rate-limits.js';
import { QueueStats } from './queue-stats.js';
import type { TaskQueueConfig } from './task-queue-config.js';
import type { Delivery, NewTask, Offer, QueuedTask, Waiter } from './waiter.js';

export type { NewTask } from './waiter.js';

/**
 * One task queue on its owner: dispatch. Waiting pollers, sync match, sync-only offers and
 * handing out the backlog's best task within the rate limits. Around it, each in its own file:
 * the backlog (the in-memory head, the writer, the reader and acks) is `BacklogIO`, the limiters
 * `QueueRateLimits`, the counts and rates `QueueStats` (read by `describeQueue`), and a reserved
 * poller's life cycle `holdPoller` (ADR 0040).
 */
export class TaskQueue {
  readonly #waiters: Waiter[] = [];
  /** Pollers out of the line for a reserver's commit; released or answered at close. */
  readonly #reserved = new Set<Waiter>();
  readonly #offers: Offer[] = [];
  readonly #counters = new FairnessCounters();
  readonly #backlog: BacklogIO;
  readonly #stats: QueueStats;
  readonly #limits: QueueRateLimits;
  readonly #reservationHost: ReservationHost;
  readonly #labels: { namespace: string; taskqueue: string; task_type: string };
  /** The labels plus one more (reason, outcome, poll_result), each built once: metrics are counted on every poll and task. */
  readonly #labelsPlusCache = new Map<string, Readonly<Record<string, string>>>();

  #syncSeq = 0;
  #closed = false;
  #pumpTimer: (() => void) | undefined;
  #pumpTimerAt = Infinity;
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
          for (const t of tasks) this.#stats.countChange(t.key.priority, 1);
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
    this.#limits = new QueueRateLimits(config, deps.options.systemRateLimit, this.#nowMs());
    this.#labels = {
      namespace: id.namespaceId,
      taskqueue: ref.kind === 'sticky' ? '__sticky__' : id.name,
      task_type: id.type,
    };
    this.#stats = new QueueStats(deps.metrics, this.#labels);
    this.#reservationHost = {
      held: this.#reserved,
      isClosed: () => this.#closed,
      requeue: (waiter) => {
        this.#waiters.unshift(waiter);
        this.#pump();
      },
      delivered: (priority, weight, payload) => {
        const at = this.#nowMs();
        this.deps.metrics.tasksAdded.inc(this.#labels);
        this.#stats.recordAdd(priority.priorityKey, at);
        this.deps.metrics.tasksSyncMatched.inc(this.#labels);
        const queued: QueuedTask = {
          key: { priority: priority.priorityKey, pass: 0, taskId: --this.#syncSeq },
          fairnessKey: priority.fairnessKey,
          fairnessWeight: weight,
          payload,
          expiry: undefined,
          createdAt: new Date(at),
        };
        return this.#polled(queued, true);
      },
      count: (outcome) => this.deps.metrics.pollerReservations.inc(this.#labelsPlus('outcome', outcome)),
    };
  }

  /** Restores fairness state and counts from the backlog, then starts reading it. */
  resume(summary: Awaited<ReturnType<BacklogStore['summary']>>): void {
    for (const [p, level] of summary.levels) this.#counters.restore(p, level.minPass, level.maxPassByKey);
    this.#stats.restoreCounts(summary.countByPriority);
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
    return this.#waiters.length > 0 || this.#nowMs() - this.#stats.lastPollMs <= windowMs;
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
    const weight = this.#limits.weightOf(p.fairnessKey, p.fairnessWeight);
    this.#stats.recordAdd(p.priorityKey, now);
    if (syncOnlyUntil) return this.#offer(task, weight, syncOnlyUntil, now);

    // Sync match: only when nothing queued should go first (same or better priority), so new
    // tasks never overtake a backlog.
    while (this.#waiters.length > 0 && !this.#backlog.hasTaskAtOrAbove(p.priorityKey)) {
      if (!this.#limits.tryTake(p.fairnessKey, weight, now)) break;
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
    const weight = this.#limits.weightOf(priority.fairnessKey, priority.fairnessWeight);
    if (!this.#limits.tryTake(priority.fairnessKey, weight, now)) return undefined;
    const waiter = this.#waiters.splice(i, 1)[0] as Waiter;
    return holdPoller(waiter, priority, weight, this.#reservationHost);
  }

  // --------------------------------------------------------------------------------- poll

  poll(req: PollRequest, signal: AbortSignal, deadline: Date | undefined): Promise<PolledTask | undefined> {
    const now = this.#nowMs();
    this.#stats.seePoller(req, now);
    if (req.ratePerSecond !== undefined && req.ratePerSecond > 0) this.#limits.setWorkerRate(req.ratePerSecond, now);
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
          this.#stats.seePoller(req, end);
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
      const wait = this.#limits.waitMs(offer.task.fairnessKey, offer.task.fairnessWeight, now);
      if (wait > 0) {
        this.#limits.lastThrottledMs = now;
        retryInMs = wait;
        break;
      }
      this.#limits.consume(offer.task.fairnessKey, offer.task.fairnessWeight, now);
      this.#offers.shift();
      void this.#dispatchOffer(this.#waiters.shift() as Waiter, offer);
    }
    while (this.#waiters.length > 0 && this.#backlog.buffer.size > 0) {
      const queueWait = this.#limits.queueWaitMs(now);
      if (queueWait > 0) {
        this.#limits.lastThrottledMs = now;
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
        const wait = this.#limits.keyWaitMs(t.fairnessKey, t.fairnessWeight, now);
        if (wait === 0) {
          chosen = t;
          break;
        }
        // A throttled key is skipped so other keys proceed.
        this.#limits.lastThrottledMs = now;
        retryInMs = Math.min(retryInMs, wait);
      }
      for (const t of expired) {
        this.#backlog.buffer.remove(t);
        this.deps.metrics.tasksDropped.inc(this.#labelsPlus('reason', 'expired'));
        this.#ack(t);
      }
      if (!chosen) break;
      this.#limits.consume(chosen.fairnessKey, chosen.fairnessWeight, now);
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
    this.#stats.recordDispatch(t.key.priority, now);
    this.deps.metrics.tasksDispatched.inc(this.#labels);
    this.#stats.countChange(t.key.priority, -1);
    this.#backlog.ack(t);
  }

  // ------------------------------------------------------------------------------ config

  async updateConfig(config: TaskQueueConfig): Promise<void> {
    this.#assertOpen();
    await this.#backlog.saveConfig(config);
    this.#config = config;
    this.#limits.setConfig(config, this.#nowMs());
    this.#pump();
  }

  describe(): TaskQueueDescription {
    return describeQueue(
      { stats: this.#stats, limits: this.#limits, buffer: this.#backlog.buffer, config: this.#config, pollerHistoryTtlMs: this.deps.options.pollerHistoryTtlMs },
      this.#nowMs(),
    );
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

  #nowMs(): number {
    return this.deps.clock.now().getTime();
  }
}
