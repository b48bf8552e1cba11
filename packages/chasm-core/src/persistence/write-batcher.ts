import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ShardLease } from './store.js';

type Sql = RawBuilder<unknown>;

/**
 * One fenced write, expressed as data-modifying CTEs so that many writes can share one statement.
 * `build` gets the name of the shared fence CTE of its lease and a suffix that makes its own CTE
 * names unique within the statement (`ex${s}`, `up_nodes${s}`, ...). `checks` names the CTEs
 * whose non-emptiness `finish` needs (the fence is always checked).
 */
export interface BatchWrite {
  readonly lease: ShardLease;
  /** Writes sharing a key never share a statement (one statement must not touch a row twice). */
  readonly keys: readonly string[];
  build(fence: string, s: string): { readonly ctes: readonly Sql[]; readonly checks: readonly string[] };
  /** Throws the write's typed error from the checked CTEs' results; `has(name)` is their existence. */
  finish(has: (cte: string) => boolean, fence: string, s: string): void;
}

export interface WriteBatcherOptions {
  /** Statements in flight at once (Postgres: up to the pool; PGlite serialises anyway). */
  readonly maxInFlight: number;
  /** Writes per statement at most. */
  readonly maxBatch: number;
}

interface Pending {
  readonly write: BatchWrite;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit. Every write is one SQL statement of CTEs and therefore one transaction; under
 * concurrency the writes that queue up while statements are in flight are joined into ONE
 * statement (one transaction, one WAL flush), each still gated by its own fence and version
 * checks, so one write failing its condition changes nothing for the others. No timer: an idle
 * store sends a write at once, and batches only grow while the database is busy, so latency
 * never rises for a lone writer. Each caller's promise settles only after its statement
 * committed, so an acknowledged write is durable exactly as before.
 *
 * If a joined statement fails as a whole (a database error rather than a failed condition), its
 * writes are retried one statement each so that the error lands on the write that caused it.
 */
export class WriteBatcher {
  readonly #db: Kysely<unknown>;
  readonly #opts: WriteBatcherOptions;
  #queue: Pending[] = [];
  #inFlight = 0;
  /** Statements and writes sent, for the metrics of the store's owner. */
  statements = 0;
  writes = 0;
  /** Joined statements that failed as a whole and were retried write by write. */
  isolations = 0;

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
    while (this.#inFlight < this.#opts.maxInFlight && this.#queue.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      void this.#flush(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  /** The oldest writes whose keys do not collide, up to maxBatch; the rest stay queued in order. */
  #take(): Pending[] {
    const taken: Pending[] = [];
    const rest: Pending[] = [];
    const used = new Set<string>();
    for (const p of this.#queue) {
      if (taken.length >= this.#opts.maxBatch || p.write.keys.some((k) => used.has(k))) {
        rest.push(p);
        continue;
      }
      for (const k of p.write.keys) used.add(k);
      taken.push(p);
    }
    this.#queue = rest;
    return taken;
  }

  async #flush(batch: readonly Pending[]): Promise<void> {
    let has: (batchIndex: number) => (cte: string) => boolean;
    try {
      has = await this.#execute(batch.map((p) => p.write));
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      // Isolate the failure: each write on its own.
      this.isolations++;
      await Promise.all(batch.map((p) => this.#flush([p])));
      return;
    }
    batch.forEach((p, i) => {
      try {
        p.write.finish(has(i), fenceName(p.write.lease), suffix(batch.length, i));
        p.resolve();
      } catch (e) {
        p.reject(e);
      }
    });
  }

  /** Runs the writes as one statement; returns, per write, the existence of its checked CTEs. */
  async #execute(writes: readonly BatchWrite[]): Promise<(i: number) => (cte: string) => boolean> {
    const ctes: Sql[] = [];
    const fences = new Map<string, ShardLease>();
    for (const w of writes) fences.set(fenceName(w.lease), w.lease);
    for (const [name, lease] of fences) ctes.push(fenceCte(name, lease));
    const checked = new Set<string>(fences.keys());
    writes.forEach((w, i) => {
      const built = w.build(fenceName(w.lease), suffix(writes.length, i));
      ctes.push(...built.ctes);
      for (const c of built.checks) checked.add(c);
    });
    const names = [...checked];
    const cols = names.map((n, i) => sql`exists (select 1 from ${sql.table(n)}) as ${sql.ref(`c${i}`)}`);
    this.statements++;
    this.writes += writes.length;
    const { rows } = await sql<Record<string, boolean>>`with ${sql.join(ctes, sql`, `)} select ${sql.join(cols, sql`, `)}`.execute(
      this.#db,
    );
    const row = rows[0];
    if (row === undefined) throw new Error('a fenced write returned no result row');
    const index = new Map(names.map((n, i) => [n, row[`c${i}`] === true]));
    return () => (cte) => {
      const v = index.get(cte);
      if (v === undefined) throw new Error(`CTE ${cte} was not checked`);
      return v;
    };
  }
}

/** A lone write keeps the plain names (`ex`, `cur`, ...); joined writes get `_0`, `_1`, ... */
function suffix(n: number, i: number): string {
  return n === 1 ? '' : `_${i}`;
}

function fenceName(lease: ShardLease): string {
  return `fence_${lease.shardId}_${lease.rangeId}`;
}

/** The shard lease check; `for share` makes a concurrent `acquireShard` wait for this statement. */
function fenceCte(name: string, lease: ShardLease): Sql {
  return sql`${sql.table(name)} as (
    select 1 from shards where shard_id = ${lease.shardId}::int and range_id = ${lease.rangeId}::bigint for share)`;
}
