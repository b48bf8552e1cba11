import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ChasmError, RetryableTaskError } from '../errors.js';
import type { ExecutionStore, ShardLease, TaskRow, VisibilityRecord } from '../persistence/store.js';
import type { ComponentRef } from '../ref.js';
import type { Registry } from '../registry/registry.js';
import type { Engine } from './engine.js';
import type { EngineMetrics } from './engine-metrics.js';
import { Deque } from './deque.js';
import type { RetentionOutcome } from './retention-task.js';
import { TimerHeap } from './timer-heap.js';
import { TransientFailureLog } from '../logging/transient-failure-log.js';
import { isTransientDatabaseError } from '../persistence/transient-errors.js';

export interface TaskProcessorOptions {
  /** Tasks run at once (side effects wait on I/O, so this is well above the core count). */
  readonly concurrency?: number;
  /** Timers due within this window are held in memory; later ones are found by the next scan. */
  readonly lookaheadMs?: number;
  readonly scanIntervalMs?: number;
  /**
   * Finished tasks are deleted in batches, at the latest this long after the first of a batch
   * finished; a commit of their shard before then takes them along (`rideFinished`, ADR 0039).
   */
  readonly deleteFlushMs?: number;
  readonly maxBackoffMs?: number;
  readonly visibilityBatch?: number;
}

/** What the processor needs from the engine (implemented by ChasmEngine). */
export interface TaskHost extends Engine {
  readonly registry: Registry;
  /** 'finished': it ran and changed nothing, nothing was written; the processor deletes its row. */
  runDuePureTasks(task: TaskRow): Promise<'done' | 'finished' | { retryAt: Date }>;
  prepareSideEffect(task: TaskRow): Promise<ComponentRef | undefined>;
  forgetTask(task: TaskRow): void;
  visibilityRecord(task: TaskRow): Promise<VisibilityRecord | undefined>;
  visibilityWritten(task: TaskRow): void;
  runRetention(task: TaskRow): Promise<RetentionOutcome>;
  lease(shardId: number): ShardLease;
  shardLost(shardId: number): void;
}

const taskKey = (t: TaskRow): string => `${t.shardId}/${t.taskId}`;

/** Which execution a task belongs to, for log lines (ids only; never its payload). */
const executionOf = (t: TaskRow): string => `${t.namespaceId}/${t.businessId}/${t.runId}`;

/** Retry delays of work failed by a database outage stay under this, so work resumes soon after it. */
const TRANSIENT_MAX_BACKOFF_MS = 5_000;
/** First rescan after a commit of unknown outcome; doubled (up to the cap) while scans fail. */
const RESCAN_FIRST_MS = 500;

/**
 * Runs the tasks of the shards this node owns. Immediate tasks arrive in memory right after
 * their commit (the table is only for recovery); timers within the look-ahead window wait in a
 * heap; a periodic scan finds the rest and everything left over by a crash. Delivery is at
 * least once: a task row is deleted only after its work is done.
 */
export class TaskProcessor {
  private readonly ready = new Deque<TaskRow>();
  /** Visibility tasks wait per shard, so one store call can write a shard's batch. */
  private readonly readyVisibility = new Map<number, TaskRow[]>();
  private readonly heap = new TimerHeap<TaskRow>();
  private readonly known = new Set<string>();
  /**
   * Tasks waiting in `heap` or `ready` whose rows a commit deleted (`cancel`): dropped when they
   * come up instead of run. Lazy, so cancelling costs no heap rebuild; an entry lives at most
   * until the task's fire time, inside the look-ahead window.
   */
  private readonly cancelled = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private readonly pendingDeletes = new Map<number, TaskRow[]>();
  private readonly shards = new Set<number>();
  private readonly abort = abortControllerForMany();
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  /** Finished-task batches riding in a commit whose outcome is not known yet. */
  private riding = 0;
  private running = false;
  private armedAt: number | undefined;
  private cancelArm: (() => void) | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  /**
   * Shards to scan again after a commit of unknown outcome (see `rescan`), each with a count of
   * requests: a request made while its scan runs must not be cleared by that scan.
   */
  private readonly rescans = new Map<number, number>();
  private rescanTimer: NodeJS.Timeout | undefined;
  private deleteTimer: NodeJS.Timeout | undefined;
  private readonly o: Required<TaskProcessorOptions>;
  /** The pending-task gauges' children, resolved once: `pump` sets them on every call (profile: label hashing). */
  private readonly gauges: { readonly ready: { set(v: number): void }; readonly timer: { set(v: number): void } } | undefined;
  /** Failed attempts: while the database is away, one short line per interval instead of one per task. */
  private readonly failures: TransientFailureLog;

  constructor(
    private readonly host: TaskHost,
    private readonly store: ExecutionStore,
    private readonly clock: Clock,
    private readonly logger: Logger | undefined,
    private readonly metrics: EngineMetrics | undefined,
    opts: TaskProcessorOptions = {},
  ) {
    this.o = {
      concurrency: opts.concurrency ?? 64,
      lookaheadMs: opts.lookaheadMs ?? 60_000,
      scanIntervalMs: opts.scanIntervalMs ?? 30_000,
      // Long enough that the next commit of a busy shard (for a dispatched task: its start by the
      // poller) comes first; short enough that an idle shard's rows go soon.
      deleteFlushMs: opts.deleteFlushMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 60_000,
      visibilityBatch: opts.visibilityBatch ?? 200,
    };
    this.failures = new TransientFailureLog(logger);
    this.gauges = metrics
      ? { ready: metrics.pendingTasks.labels({ kind: 'ready' }), timer: metrics.pendingTasks.labels({ kind: 'timer' }) }
      : undefined;
  }

  async start(leases: readonly ShardLease[]): Promise<void> {
    this.running = true;
    for (const l of leases) this.shards.add(l.shardId);
    for (const l of leases) await this.scanShard(l.shardId);
    this.scanTimer = setInterval(() => void this.scanAll(), this.o.scanIntervalMs);
    this.scanTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    if (this.scanTimer) clearInterval(this.scanTimer);
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.cancelArm?.();
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    if (this.deleteTimer) clearTimeout(this.deleteTimer);
    await this.flushDeletes();
  }

  /** New tasks from a commit. */
  enqueue(rows: readonly TaskRow[]): void {
    for (const r of rows) this.add(r);
    this.pump();
  }

  /** Rows found to be garbage (their node is gone): delete without running. */
  discard(rows: readonly TaskRow[]): void {
    for (const r of rows) this.finish(r);
  }

  /** Tasks a commit deleted as invalid: not run when they come up (see `cancelled`). */
  cancel(shardId: number, taskIds: readonly string[]): void {
    for (const id of taskIds) {
      const k = `${shardId}/${id}`;
      // A task running now finishes as it would have (its run finds nothing to do); if it comes
      // back (a retry), it is dropped then. Leaving `known` clears the mark (`forgetKey`).
      if (this.known.has(k)) this.cancelled.add(k);
    }
  }

  /**
   * A commit of the shard failed with an unknown outcome (the database went away mid-write): if
   * it did commit, its tasks are in the table but were never handed over. Scan the shard again
   * soon, and keep retrying (backing off) until a scan gets through, instead of leaving them to
   * the periodic scan.
   */
  rescan(shardId: number): void {
    if (!this.shards.has(shardId)) return;
    this.rescans.set(shardId, (this.rescans.get(shardId) ?? 0) + 1);
    this.scheduleRescan(RESCAN_FIRST_MS);
  }

  private scheduleRescan(delayMs: number): void {
    if (this.rescanTimer !== undefined || !this.running) return;
    this.rescanTimer = setTimeout(() => {
      this.rescanTimer = undefined;
      void this.runRescans(delayMs);
    }, delayMs);
    this.rescanTimer.unref();
  }

  private async runRescans(lastDelayMs: number): Promise<void> {
    for (const [shardId, requests] of [...this.rescans]) {
      if (!this.running) return;
      if (!this.shards.has(shardId)) {
        this.rescans.delete(shardId);
        continue;
      }
      try {
        await this.scanShard(shardId);
        if (this.rescans.get(shardId) === requests) this.rescans.delete(shardId);
        else this.scheduleRescan(RESCAN_FIRST_MS);
      } catch (err) {
        this.failures.report('warn', { shardId }, 'task rescan failed; will retry', err);
        this.scheduleRescan(Math.min(TRANSIENT_MAX_BACKOFF_MS, lastDelayMs * 2));
        return;
      }
    }
  }

  dropShard(shardId: number): void {
    this.shards.delete(shardId);
    this.rescans.delete(shardId);
    this.ready.retain((t) => t.shardId !== shardId);
    this.readyVisibility.delete(shardId);
    this.heap.removeWhere((t) => t.shardId === shardId);
    this.pendingDeletes.delete(shardId);
    for (const k of [...this.known]) if (k.startsWith(`${shardId}/`)) this.forgetKey(k);
  }

  /**
   * The finished tasks of a shard waiting for deletion, handed to a commit of that shard that is
   * about to be written (ADR 0039): their ids go in its `finishedTaskIds`, and `settle` reports
   * whether that write committed. If not, they wait again (deleting twice is harmless).
   */
  rideFinished(shardId: number): { readonly ids: string[]; settle(committed: boolean): void } | undefined {
    const rows = this.pendingDeletes.get(shardId);
    if (rows === undefined) return undefined;
    this.pendingDeletes.delete(shardId);
    this.riding++;
    let settled = false;
    return {
      ids: rows.map((r) => r.taskId),
      settle: (committed) => {
        if (settled) return;
        settled = true;
        this.riding--;
        // Not committed and the processor or shard is gone: a later owner's scan re-runs them (at least once).
        if (committed || !this.running || !this.shards.has(shardId)) {
          for (const r of rows) this.forgetKey(taskKey(r));
        } else {
          for (const r of rows) this.queueDelete(r);
        }
        this.checkIdle();
      },
    };
  }

  /** Resolves once nothing is ready, running, or waiting to be deleted (future timers aside). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    // Whoever waits for idleness wants the finished rows gone now, not at the next flush.
    if (this.pendingDeletes.size > 0) {
      if (this.deleteTimer) clearTimeout(this.deleteTimer);
      void this.flushDeletes();
    }
    return new Promise((r) => this.idleWaiters.push(r));
  }

  get pendingTimers(): number {
    return this.heap.size;
  }

  private isIdle(): boolean {
    return (
      this.ready.length === 0 && this.readyVisibility.size === 0 && this.inFlight === 0 && this.pendingDeletes.size === 0 && this.riding === 0
    );
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private add(row: TaskRow): void {
    if (!this.shards.has(row.shardId)) return;
    const k = taskKey(row);
    if (this.known.has(k)) return;
    const now = this.clock.now().getTime();
    const at = row.fireAt?.getTime() ?? 0;
    if (at <= now) {
      this.known.add(k);
      this.makeReady(row);
    } else if (at <= now + this.o.lookaheadMs) {
      this.known.add(k);
      this.heap.push(at, row);
      this.arm();
    }
    // Later timers: the periodic scan picks them up once inside the window.
  }

  private arm(): void {
    const top = this.heap.peek();
    if (!top || !this.running) return;
    if (this.armedAt !== undefined && this.armedAt <= top.at) return;
    this.cancelArm?.();
    this.armedAt = top.at;
    this.cancelArm = this.clock.schedule(new Date(top.at), () => this.onTimer());
  }

  private onTimer(): void {
    this.armedAt = undefined;
    this.cancelArm = undefined;
    const now = this.clock.now().getTime();
    while (this.heap.peek() && this.heap.peek()!.at <= now) this.makeReady(this.heap.pop()!.value);
    this.arm();
    this.pump();
  }

  /** The task left this processor (ran, dropped, deleted): it may be added again by a scan. */
  private forgetKey(k: string): void {
    this.known.delete(k);
    this.cancelled.delete(k);
  }

  /** A cancelled task came up: dropped without running (its row is already gone). */
  private dropIfCancelled(row: TaskRow): boolean {
    const k = taskKey(row);
    if (!this.cancelled.has(k)) return false;
    this.forgetKey(k);
    this.attempts.delete(k);
    this.metrics?.tasks.inc({ type: row.typeName, outcome: 'cancelled' });
    return true;
  }

  private makeReady(row: TaskRow): void {
    if (this.dropIfCancelled(row)) return;
    if (row.kind !== 'visibility') {
      this.ready.push(row);
      return;
    }
    const list = this.readyVisibility.get(row.shardId);
    if (list) list.push(row);
    else this.readyVisibility.set(row.shardId, [row]);
  }

  private pump(): void {
    while (this.running && this.inFlight < this.o.concurrency && this.readyVisibility.size > 0) {
      // One store call writes a shard's whole batch of visibility records.
      const [shardId, rows] = this.readyVisibility.entries().next().value as [number, TaskRow[]];
      const batch = rows.splice(0, this.o.visibilityBatch);
      if (rows.length === 0) this.readyVisibility.delete(shardId);
      void this.track(() => this.runVisibility(batch));
    }
    while (this.running && this.inFlight < this.o.concurrency && this.ready.length > 0) {
      const row = this.ready.shift()!;
      if (this.dropIfCancelled(row)) continue;
      void this.track(() => this.runOne(row));
    }
    if (this.gauges) {
      this.gauges.ready.set(this.ready.length);
      this.gauges.timer.set(this.heap.size);
    }
    this.checkIdle();
  }

  private async track(fn: () => Promise<void>): Promise<void> {
    this.inFlight++;
    try {
      await fn();
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  private async runOne(row: TaskRow): Promise<void> {
    const started = performance.now();
    try {
      if (row.kind === 'retention') {
        if ((await this.host.runRetention(row)) === 'deleted') {
          // Its row went with the execution's rows.
          this.forgetKey(taskKey(row));
          this.attempts.delete(taskKey(row));
          this.metrics?.tasks.inc({ type: row.typeName, outcome: 'executed' });
        } else {
          this.metrics?.tasks.inc({ type: row.typeName, outcome: 'dropped' });
          this.finish(row);
        }
      } else if (row.kind === 'pure') {
        const r = await this.host.runDuePureTasks(row);
        if (r === 'done') {
          // The commit that ran it also deleted its row.
          this.forgetKey(taskKey(row));
          this.attempts.delete(taskKey(row));
        } else if (r === 'finished') {
          // Nothing was written: its row goes in the shard's next batch of deletions.
          this.finish(row);
        } else {
          this.heap.push(r.retryAt.getTime(), row);
          this.arm();
        }
      } else {
        const ref = await this.host.prepareSideEffect(row);
        if (!ref) {
          this.metrics?.tasks.inc({ type: row.typeName, outcome: 'dropped' });
          this.finish(row);
          return;
        }
        const type = this.host.registry.task(row.typeName);
        if (type.kind !== 'sideEffect') throw new Error(`task ${row.typeName} is not a side-effect task`);
        const payload = type.codec.decode(row.payload);
        await type.execute(
          { engine: this.host, signal: this.abort.signal, now: () => this.clock.now() },
          ref,
          payload,
          { scheduledAt: row.fireAt, taskId: row.taskId },
        );
        this.metrics?.tasks.inc({ type: row.typeName, outcome: 'executed' });
        this.finish(row);
      }
      this.metrics?.taskLatency.observe({ kind: row.kind }, (performance.now() - started) / 1000);
    } catch (err) {
      this.failed(row, err);
    }
  }

  private async runVisibility(batch: TaskRow[]): Promise<void> {
    try {
      const records: VisibilityRecord[] = [];
      for (const row of batch) {
        const rec = await this.host.visibilityRecord(row);
        if (rec) records.push(rec);
      }
      const shardId = batch[0]!.shardId;
      await this.store.writeVisibility(this.host.lease(shardId), records, batch.map((t) => t.taskId));
      for (const row of batch) {
        this.host.visibilityWritten(row);
        this.forgetKey(taskKey(row));
        this.attempts.delete(taskKey(row));
      }
    } catch (err) {
      for (const row of batch) this.failed(row, err);
    }
  }

  private failed(row: TaskRow, err: unknown): void {
    const k = taskKey(row);
    if (ChasmError.is(err) && err.code === 'NOT_FOUND') {
      // The component, the execution or the task itself is gone: nothing left to do.
      this.metrics?.tasks.inc({ type: row.typeName, outcome: 'dropped' });
      this.finish(row);
      return;
    }
    if (ChasmError.is(err) && err.name === 'ShardOwnershipLostError') {
      this.host.shardLost(row.shardId);
      return;
    }
    if (!this.running) {
      this.forgetKey(k);
      return;
    }
    const n = (this.attempts.get(k) ?? 0) + 1;
    this.attempts.set(k, n);
    // While the database is away, tasks back off too, but never beyond a few seconds: the
    // outage ends by itself, and then everything should resume promptly, not a minute later.
    const cap = isTransientDatabaseError(err) ? Math.min(this.o.maxBackoffMs, TRANSIENT_MAX_BACKOFF_MS) : this.o.maxBackoffMs;
    const backoff = err instanceof RetryableTaskError && err.retryAfterMs !== undefined
      ? err.retryAfterMs
      : Math.min(cap, 100 * 2 ** Math.min(n, 20)) * (0.8 + Math.random() * 0.4);
    this.metrics?.tasks.inc({ type: row.typeName, outcome: 'retried' });
    this.failures.report('warn', { task: row.typeName, taskId: row.taskId, attempt: n, execution: executionOf(row) }, 'task failed; will retry', err);
    this.heap.push(this.clock.now().getTime() + backoff, row);
    this.arm();
  }

  /** Deletes the row soon, in a batch; until then the task stays `known` so a scan cannot re-run it. */
  private finish(row: TaskRow): void {
    this.host.forgetTask(row);
    this.attempts.delete(taskKey(row));
    this.queueDelete(row);
  }

  private queueDelete(row: TaskRow): void {
    const list = this.pendingDeletes.get(row.shardId) ?? [];
    list.push(row);
    this.pendingDeletes.set(row.shardId, list);
    this.known.add(taskKey(row));
    this.deleteTimer ??= setTimeout(() => void this.flushDeletes(), this.o.deleteFlushMs);
  }

  private async flushDeletes(): Promise<void> {
    this.deleteTimer = undefined;
    const batches = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    for (const [shardId, rows] of batches) {
      try {
        await this.store.deleteTasks(this.host.lease(shardId), rows.map((r) => r.taskId));
      } catch (err) {
        if (ChasmError.is(err) && err.name === 'ShardOwnershipLostError') this.host.shardLost(shardId);
        else this.failures.report('warn', { shardId }, 'deleting finished tasks failed; a later scan re-runs them (at least once)', err);
      }
      for (const r of rows) this.forgetKey(taskKey(r));
    }
    this.checkIdle();
  }

  private async scanAll(): Promise<void> {
    for (const s of [...this.shards]) {
      try {
        await this.scanShard(s);
      } catch (err) {
        this.failures.report('warn', { shardId: s }, 'task scan failed', err);
      }
    }
  }

  private async scanShard(shardId: number): Promise<void> {
    const dueBefore = new Date(this.clock.now().getTime() + this.o.lookaheadMs);
    let after: { fireAt: Date | null; taskId: string } | undefined;
    for (;;) {
      const rows = await this.store.scanTasks({ shardId, dueBefore, limit: 1000, ...(after ? { after } : {}) });
      for (const r of rows) this.add(r);
      if (rows.length < 1000) break;
      const last = rows[rows.length - 1]!;
      after = { fireAt: last.fireAt, taskId: last.taskId };
    }
    this.pump();
  }
}

/**
 * The processor's shutdown signal: every running side-effect task may listen to it (a Nexus call,
 * a callback delivery), so hundreds of listeners at once are normal, not a leak; Node's default
 * warning at 11 is lifted for this one signal.
 */
function abortControllerForMany(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
