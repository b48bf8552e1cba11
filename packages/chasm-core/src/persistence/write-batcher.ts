import { sql, type Kysely } from 'kysely';
import { ShardOwnershipLostError } from '../errors.js';
import { withFields } from '../with-fields.js';
import type { ShardLease } from './store.js';
import { isTransientDatabaseError } from './transient-errors.js';

/**
 * One fenced write for `chasm_write` (migration 20261203T1800, revised by 20261206T1400): `payload` is the write's JSON
 * (`k` says its kind; the batcher adds the lease as `s`/`r`). A lost fence fails every write
 * with ShardOwnershipLostError; `conditionFailed` gives the error of a write whose own
 * condition (db version, current run) did not hold. Without it, the write has no condition.
 */
export interface BatchWrite {
  readonly lease: ShardLease;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly conditionFailed?: () => Error;
}

/** Per write: `f` the shard fence held, `ok` the write's own condition held (and it applied). */
export interface WriteResult {
  readonly f: boolean;
  readonly ok: boolean;
}

export interface WriteBatcherOptions {
  /** Statements in flight at once (Postgres: up to the pool; PGlite serialises anyway). */
  readonly maxInFlight: number;
  /** Writes per statement at most. */
  readonly maxBatch: number;
  /**
   * Writes that must be queued before a statement is sent while another one is still running
   * (default 1: any). Below it the queue waits for the running statement and goes with the next
   * one, so batches grow and statements (each a transaction, a WAL flush, a round trip and its
   * client-side encoding) per write fall; at or above it the next statement overlaps, so a deep
   * queue does not wait behind one statement's flush. An idle batcher always sends at once.
   */
  readonly overlapAt?: number;
  /**
   * Wait one event-loop turn (`setImmediate`) before each statement, so that everything queued
   * by then joins it. For PGlite: its statements run synchronously on this thread, so nothing
   * can queue while one runs, and without the wait the next statement would start with only the
   * writes queued in the same tick (one, nearly always). Off by default: on Postgres writes queue
   * while a statement is on the wire, and an extra turn would only add latency.
   */
  readonly waitOneTurn?: boolean;
  /**
   * Runs the call itself, given the writes' JSON: the store passes `chasm_write` as a named
   * prepared statement on Postgres (ADR 0055). Without it, the call goes through Kysely.
   */
  readonly call?: (json: string) => Promise<readonly { r: WriteResult[] | string }[]>;
}

/** The write call's SQL: one jsonb parameter, one row holding the per-write results. */
export const WRITE_CALL_SQL = 'select chasm_write($1::jsonb) as r';

interface Pending {
  readonly write: BatchWrite;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit. Every write is one call of the `chasm_write` function, i.e. one statement and
 * one transaction; under concurrency the writes that queue up while calls are in flight go
 * together in ONE call (one transaction, one WAL flush), each still gated by its own fence and
 * condition, so one write failing its condition changes nothing for the others. No timer: an
 * idle store sends a write at once (on PGlite one event-loop turn later, see `waitOneTurn`),
 * and batches only grow while the database is busy, so latency never rises for a lone writer. Each caller's promise settles only after its call
 * committed, so an acknowledged write is durable exactly as before.
 *
 * If a joined call fails as a whole (a database error rather than a failed condition), its
 * writes are retried one call each so that the error lands on the write that caused it.
 */
export class WriteBatcher {
  readonly #db: Kysely<unknown>;
  readonly #opts: WriteBatcherOptions;
  #queue: Pending[] = [];
  #inFlight = 0;
  /** A `setImmediate` of `#send` is pending (`waitOneTurn` only). */
  #scheduled = false;
  /** Statements and writes sent, for the metrics of the store's owner. */
  statements = 0;
  writes = 0;
  /** Joined statements that failed as a whole and were retried write by write. */
  isolations = 0;
  /** Statements sent while another was running (the queue had reached `overlapAt`). */
  overlaps = 0;

  constructor(db: Kysely<unknown>, opts: WriteBatcherOptions) {
    this.#db = db;
    this.#opts = opts;
  }

  submit(write: BatchWrite): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    if (!this.#opts.waitOneTurn) {
      this.#send();
      return;
    }
    if (this.#scheduled || this.#inFlight >= this.#opts.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#send();
    });
  }

  #send(): void {
    const overlapAt = this.#opts.overlapAt ?? 1;
    while (this.#inFlight < this.#opts.maxInFlight && this.#queue.length > 0) {
      if (this.#inFlight > 0) {
        if (this.#queue.length < overlapAt) return;
        this.overlaps++;
      }
      const batch = this.#queue.splice(0, this.#opts.maxBatch);
      this.#inFlight++;
      void this.#flush(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    let results: readonly WriteResult[];
    try {
      results = await this.#execute(batch.map((p) => p.write));
    } catch (e) {
      // The database is away: every write of the call failed alike, and each may have committed
      // (the connection can drop after COMMIT, before the answer). Retrying them one by one
      // would replay writes of unknown outcome; the callers get UNAVAILABLE and decide instead.
      if (batch.length === 1 || isTransientDatabaseError(e)) {
        for (const p of batch) p.reject(e);
        return;
      }
      // Isolate the failure: each write on its own.
      this.isolations++;
      await Promise.all(batch.map((p) => this.#flush([p])));
      return;
    }
    batch.forEach((p, i) => {
      try {
        const r = results[i];
        if (r === undefined) throw new Error('chasm_write returned fewer results than writes');
        const { lease, conditionFailed } = p.write;
        if (!r.f) throw new ShardOwnershipLostError(lease.shardId, lease.rangeId);
        if (!r.ok && conditionFailed) throw conditionFailed();
        p.resolve();
      } catch (e) {
        p.reject(e);
      }
    });
  }

  async #execute(writes: readonly BatchWrite[]): Promise<readonly WriteResult[]> {
    // withFields, not `{ ...w.payload, s, r }`: the spread-then-new-field slow path (ADR 0041).
    const json = JSON.stringify(writes.map((w) => withFields(w.payload, { s: w.lease.shardId, r: w.lease.rangeId })));
    this.statements++;
    this.writes += writes.length;
    const call = this.#opts.call;
    const rows = call ? await call(json) : (await sql<{ r: WriteResult[] | string }>`select chasm_write(${json}::jsonb) as r`.execute(this.#db)).rows;
    const r = rows[0]?.r;
    if (r === undefined) throw new Error('chasm_write returned no row');
    return typeof r === 'string' ? (JSON.parse(r) as WriteResult[]) : r;
  }
}
