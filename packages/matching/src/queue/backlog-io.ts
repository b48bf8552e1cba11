import { ResourceExhaustedError, TransientFailureLog, type Clock } from '@chasm/core';
import type { Logger } from 'pino';
import type { BacklogStore, BacklogTask } from '../backlog/backlog-store.js';
import { compareKeys, type TaskKey } from '../backlog/task-key.js';
import { TaskQueueOwnershipLostError } from '../errors.js';
import type { TaskQueueId } from '../matching-service.js';
import type { MatchingOptions } from '../matching-options.js';
import { OrderedBuffer } from './ordered-buffer.js';
import type { TaskQueueConfig } from './task-queue-config.js';

/** A task on its way into the backlog: its place in dispatch order is known except its id. */
export type UnsavedTask = Omit<BacklogTask, 'key'> & { readonly priority: number; readonly pass: number };

interface PendingWrite {
  readonly task: UnsavedTask;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** What the backlog tells the queue that dispatches from it. */
export interface BacklogEvents {
  /** Tasks are in the backlog (durably, or in memory for a sticky queue); some may be in memory now. */
  appended(tasks: readonly BacklogTask[]): void;
  /** The reader brought tasks into memory. */
  refilled(): void;
  /** A task read back from the database had expired: the queue drops and acks it. */
  expired(task: BacklogTask): void;
  /** Another owner took the queue: every later write would fail. */
  ownershipLost(error: TaskQueueOwnershipLostError): void;
}

/**
 * The backlog of one task queue as its owner sees it: the in-memory head (`buffer`), the writer
 * that batches appends under the range id, the reader that refills the head from the database in
 * dispatch order, and acks (batched deletes of handed-out tasks).
 *
 * Reader invariant (durable queues): the buffer holds the lowest tasks of the backlog. When
 * `atEnd` is false, every stored task with key <= `readLevel` is in memory (buffered, handed out
 * or awaiting deletion) and tasks above it are read later in order. New writes below the read
 * level are merged into the buffer; writes that land while a read is in flight are merged after
 * it, against the new read level (Temporal's fair reader does the same).
 *
 * Sticky queues (`store` undefined) live in memory only: see ADR 0003.
 */
export class BacklogIO {
  /** Tasks in memory, best first: dispatch takes from here (through `take`). */
  readonly buffer = new OrderedBuffer<BacklogTask>();
  /** Ids of tasks handed out, until their delete commits: a re-read must not dispatch them again. */
  readonly #outstanding = new Set<number>();
  readonly #pendingWrites: PendingWrite[] = [];
  readonly #deferredMerges: BacklogTask[] = [];
  readonly #pendingDeletes: TaskKey[] = [];

  #rangeId: number;
  #atEnd: boolean;
  #readLevel: TaskKey | undefined;
  #reading = false;
  #writing: Promise<void> | undefined;
  #deleting: Promise<void> | undefined;
  #dbLock: Promise<void> = Promise.resolve();
  #nextId = 0;
  #idLimit = 0;
  #closed = false;
  #deleteTimer: (() => void) | undefined;
  /** Failed backlog I/O: while the database is away, one short line per interval, not one per retry. */
  readonly #failures: TransientFailureLog;

  constructor(
    private readonly id: TaskQueueId,
    rangeId: number,
    private readonly store: BacklogStore | undefined,
    private readonly deps: {
      readonly clock: Clock;
      readonly logger: Logger;
      readonly options: MatchingOptions;
      readonly events: BacklogEvents;
    },
  ) {
    this.#rangeId = rangeId;
    this.#failures = new TransientFailureLog(deps.logger);
    this.#atEnd = store === undefined;
    if (store) {
      // Ids are dense per range: [(range-1)*size+1, range*size], so they grow across owners.
      this.#setIdBlock(rangeId);
    }
  }

  get rangeId(): number {
    return this.#rangeId;
  }

  /**
   * True when a task of this priority or better may be in the backlog (in memory, not yet read,
   * or being written): a new task must then queue behind it rather than sync-match.
   */
  hasTaskAtOrAbove(priority: number): boolean {
    const best = this.buffer.best();
    if (best && best.key.priority <= priority) return true;
    if (!this.#atEnd && (this.#readLevel === undefined || this.#readLevel.priority <= priority)) return true;
    return this.#pendingWrites.some((w) => w.task.priority <= priority) || this.#deferredMerges.length > 0;
  }

  // --------------------------------------------------------------------------------- write

  /** Adds a task; resolves once it is durable (at once for a sticky queue). */
  async append(task: UnsavedTask): Promise<void> {
    if (!this.store) {
      // Memory-only (sticky): queued as soon as it is in the buffer.
      const { priority, pass, ...rest } = task;
      const t: BacklogTask = { ...rest, key: { priority, pass, taskId: ++this.#nextId } };
      this.buffer.insert(t);
      this.deps.events.appended([t]);
      return;
    }
    if (this.#pendingWrites.length >= this.deps.options.maxOutstandingAppends) {
      throw new ResourceExhaustedError('Too many outstanding appends to the task queue', 'SYSTEM_OVERLOADED');
    }
    await new Promise<void>((resolve, reject) => {
      this.#pendingWrites.push({ task, resolve, reject });
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
          this.#rangeId = await store.renewRange(this.id, this.#rangeId);
          this.#setIdBlock(this.#rangeId);
        }
        const tasks: BacklogTask[] = batch.map(({ task }) => ({
          key: { priority: task.priority, pass: task.pass, taskId: ++this.#nextId },
          fairnessKey: task.fairnessKey,
          fairnessWeight: task.fairnessWeight,
          payload: task.payload,
          expiry: task.expiry,
          createdAt: task.createdAt,
        }));
        await store.append(this.id, this.#rangeId, tasks);
        for (const t of tasks) {
          if (this.#reading) this.#deferredMerges.push(t);
          else this.#merge(t);
        }
        for (const w of batch) w.resolve();
        this.deps.events.appended(tasks);
      } catch (e) {
        for (const w of batch) w.reject(e);
        if (e instanceof TaskQueueOwnershipLostError) {
          this.deps.logger.warn({ taskQueue: this.id.name, rangeId: this.#rangeId }, 'task queue ownership lost; unloading');
          this.deps.events.ownershipLost(e);
          return;
        }
        // The write may have landed anyway: re-read from the last safe point so nothing is missed.
        this.#atEnd = false;
        this.#failures.report('error', { taskQueue: this.id.name }, 'backlog append failed', e);
      }
    }
    for (const w of this.#pendingWrites.splice(0)) w.reject(new TaskQueueOwnershipLostError(this.id.name, this.#rangeId));
  }

  #setIdBlock(rangeId: number): void {
    const size = this.deps.options.rangeSize;
    this.#nextId = (rangeId - 1) * size;
    this.#idLimit = rangeId * size;
  }

  /** A written task enters memory if it is within what the reader covers. */
  #merge(t: BacklogTask): void {
    if (!this.#atEnd && (this.#readLevel === undefined || compareKeys(t.key, this.#readLevel) > 0)) return;
    this.buffer.insert(t);
    while (this.buffer.size > this.deps.options.bufferCapacity) {
      // Evicted tasks stay in the database and are read again in order.
      this.buffer.popWorst();
      this.#atEnd = false;
      this.#readLevel = this.buffer.worst()?.key;
    }
  }

  /** Saves the queue's API config, fenced by the range id. */
  async saveConfig(config: TaskQueueConfig): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.saveConfig(this.id, this.#rangeId, config);
    } catch (e) {
      if (e instanceof TaskQueueOwnershipLostError) this.deps.events.ownershipLost(e);
      throw e;
    }
  }

  // ---------------------------------------------------------------------------- hand out

  /** Takes a buffered task out of memory to hand it to a poller. */
  take(t: BacklogTask): void {
    this.buffer.remove(t);
    // Only a backlog that is read back needs to know what is out: a sticky queue's never is, and
    // tracking there kept every dispatched id for as long as the worker kept its queue alive.
    if (this.store) this.#outstanding.add(t.key.taskId);
  }

  /** Tasks handed out whose delete has not committed yet (0 for a sticky queue). */
  get outstandingCount(): number {
    return this.#outstanding.size;
  }

  /** A taken task could not be handed over: back into memory if the reader covers it, else it stays for a re-read. */
  putBack(t: BacklogTask): void {
    this.#outstanding.delete(t.key.taskId);
    if (this.#atEnd || (this.#readLevel !== undefined && compareKeys(t.key, this.#readLevel) <= 0)) {
      this.buffer.insert(t);
    }
  }

  /** A backlog task was handed over (or dropped): delete it in the next batch. */
  ack(t: BacklogTask): void {
    if (!this.store) return;
    this.#outstanding.add(t.key.taskId);
    this.#pendingDeletes.push(t.key);
    if (this.#pendingDeletes.length >= this.deps.options.deleteBatchSize) void this.#flushDeletes();
    else this.#deleteTimer ??= this.deps.clock.schedule(new Date(this.#nowMs() + this.deps.options.deleteIntervalMs), () => void this.#flushDeletes());
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
        this.#failures.report('warn', { taskQueue: this.id.name }, 'backlog delete failed; will retry', e);
        this.#pendingDeletes.push(...keys);
        if (!this.#closed) this.#deleteTimer ??= this.deps.clock.schedule(new Date(this.#nowMs() + 1000), () => void this.#flushDeletes());
      }
    });
    this.#deleting = run.finally(() => {
      if (this.#deleting === tracked) this.#deleting = undefined;
    });
    const tracked = this.#deleting;
    return run;
  }

  // ---------------------------------------------------------------------------------- read

  /**
   * Starts reading the backlog of a freshly loaded queue. When the owner's summary found it
   * empty, nothing is left to read and new tasks may sync-match at once. That holds because the
   * summary was taken after this owner's range bump and every append is fenced on that row: a
   * task this owner did not write itself can no longer appear.
   */
  resume(empty: boolean): void {
    if (this.store && empty) this.#atEnd = true;
    this.maybeRefill();
  }

  /** Reads the next batch into memory when the buffer runs low and the backlog has more. */
  maybeRefill(): void {
    if (!this.store || this.#atEnd || this.#reading || this.#closed) return;
    if (this.buffer.size >= this.deps.options.reloadAt) return;
    this.#reading = true;
    const store = this.store;
    void this.#withDbLock(async () => {
      try {
        const rows = await store.read(this.id, this.#readLevel, this.deps.options.readBatchSize);
        const now = this.#nowMs();
        for (const t of rows) {
          if (this.#outstanding.has(t.key.taskId)) continue;
          if (t.expiry && t.expiry.getTime() <= now) {
            this.deps.events.expired(t);
            continue;
          }
          this.buffer.insert(t);
        }
        const last = rows[rows.length - 1];
        if (last) this.#readLevel = last.key;
        this.#atEnd = rows.length < this.deps.options.readBatchSize;
        this.#reading = false;
        for (const t of this.#deferredMerges.splice(0)) this.#merge(t);
        this.deps.events.refilled();
      } catch (e) {
        this.#reading = false;
        this.#failures.report('error', { taskQueue: this.id.name }, 'backlog read failed; retrying', e);
        if (!this.#closed) this.deps.clock.schedule(new Date(this.#nowMs() + 1000), () => this.maybeRefill());
      }
    });
  }

  /** Reads and deletes take turns, so a read never sees a row whose delete is half-recorded. */
  #withDbLock(fn: () => Promise<void>): Promise<void> {
    const run = this.#dbLock.then(fn);
    this.#dbLock = run.catch(() => undefined);
    return run;
  }

  // ----------------------------------------------------------------------------- lifecycle

  /** Stops reading and writing: appends in flight finish, acks are flushed. */
  async close(): Promise<void> {
    const writing = this.#writing;
    this.#closed = true;
    await writing?.catch(() => undefined);
    await this.#flushDeletes().catch(() => undefined);
    await this.#dbLock;
  }

  #nowMs(): number {
    return this.deps.clock.now().getTime();
  }
}
