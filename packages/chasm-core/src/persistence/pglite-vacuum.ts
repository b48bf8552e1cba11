import { sql, type RawBuilder } from 'kysely';
import type { Logger } from 'pino';
import { Gauge, Histogram, type Registry as PromRegistry } from 'prom-client';
import type { ServiceLifecycle } from '../tokens.js';
import type { Database } from './database.js';
import { MAINTENANCE_SQL } from './database-stats.js';

export interface PGliteVacuumOptions {
  readonly logger?: Logger;
  readonly metrics?: PromRegistry;
  /** Called after each pass with what started it (tests wait on it). */
  readonly onPass?: (trigger: VacuumTrigger) => void;
}

/** What started a pass: the interval elapsed, or `vacuumWalBytes` of WAL were written since the last. */
export type VacuumTrigger = 'interval' | 'wal';

const DEFAULT_INTERVAL_MS = 30_000;
/** ~500 closed workflows of the closed-rss bench, ~300 hello-activity workflows (ADR 0059). */
const DEFAULT_WAL_BYTES = 8 * 1024 * 1024;
/** How often the WAL written since the last pass is looked at, when anything was written. */
const WAL_CHECK_MS = 1_000;

/**
 * VACUUM for embedded PGlite, which has no autovacuum: it runs Postgres in a single process,
 * without the autovacuum launcher, so a dead row (every update of a node, every finished task,
 * every execution removed by retention) keeps its space forever and the in-memory database only
 * grows. A periodic plain VACUUM (`database.vacuumIntervalMs`, default 30 s) makes that space reusable (and gives empty trailing pages
 * back), so a steady load levels off. Plain VACUUM takes no exclusive lock; on PGlite it holds
 * the single connection for its duration (tens of ms when little changed: pages that are
 * all-visible are skipped). Postgres needs none of this: its autovacuum does it.
 *
 * A pass also starts early once `database.vacuumWalBytes` (default 8 MiB) of WAL were written
 * since the last one, the way Postgres' autovacuum and checkpointer react to the volume of
 * change rather than to the clock (ADR 0059). Without it, the tables of an in-memory cluster
 * grew to hold every dead row of 30 s of writes, so under a busy load they settled at a size
 * set by the throughput (~3,900 closed workflows' worth at 130/s) and kept it, in the process's
 * memory, after the load was gone; with it they hold about 8 MiB of WAL's worth, whatever the
 * rate. The check reads one LSN, and only in a second in which something was written.
 *
 * Each pass ends with a CHECKPOINT, for the same reason: a standalone backend never checkpoints
 * by itself (Postgres asks for a checkpoint by WAL volume only under a postmaster, and there is
 * no checkpointer process), so the WAL grew without bound: ~28 MB per 1,000 hello-activity
 * workflows, in the process's memory for an in-memory cluster, and all of it replayed after a
 * kill -9 of a directory-backed one. After a checkpoint Postgres removes or recycles the old
 * segments, keeping about `max_wal_size` of them (ADR 0038).
 */
export class PGliteVacuum implements ServiceLifecycle {
  readonly name = 'pglite-vacuum';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly duration: Histogram<'trigger'> | undefined;
  /** When the last pass ended (monotonic ms), and the WAL insert position it left (bytes). */
  private lastPassAt = performance.now();
  private lastPassLsn: number | undefined;
  /** Write transactions counted by `database.stats` at the last WAL check: unchanged, no check. */
  private writesSeen = -1;

  constructor(
    private readonly database: Database,
    private readonly opts: PGliteVacuumOptions = {},
  ) {
    const registry = opts.metrics;
    this.duration = registry
      ? ((registry.getSingleMetric('chasm_pglite_vacuum_seconds') as Histogram<'trigger'> | undefined) ??
        new Histogram({
          name: 'chasm_pglite_vacuum_seconds',
          help: 'Duration of the periodic VACUUM of the embedded PGlite database, by what started it (interval, wal)',
          labelNames: ['trigger'],
          buckets: [0.01, 0.05, 0.1, 0.5, 1, 5],
          registers: [registry],
        }))
      : undefined;
    // What the database's files hold (in memory for an in-memory cluster): the closed-rss bench
    // tells the data from the process's own memory with it (ADR 0059). Read at scrape time.
    if (registry && database.config.kind === 'pglite' && !registry.getSingleMetric('chasm_pglite_database_bytes')) {
      const db = database.db;
      new Gauge({
        name: 'chasm_pglite_database_bytes',
        help: 'Size of the embedded PGlite database (its tables and indexes), without the WAL',
        registers: [registry],
        async collect() {
          this.set(await scalar(db, sql`${sql.raw(MAINTENANCE_SQL)} select pg_database_size(current_database())::float8 as b`, this));
        },
      });
      new Gauge({
        name: 'chasm_pglite_wal_bytes',
        help: 'Size of the embedded PGlite WAL segments kept',
        registers: [registry],
        async collect() {
          this.set(await scalar(db, sql`${sql.raw(MAINTENANCE_SQL)} select coalesce(sum(size), 0)::float8 as b from pg_ls_waldir()`, this));
        },
      });
    }
  }

  async start(): Promise<void> {
    const config = this.database.config;
    if (config.kind !== 'pglite') return;
    const intervalMs = config.vacuumIntervalMs ?? DEFAULT_INTERVAL_MS;
    if (intervalMs <= 0) return;
    const walBytes = config.vacuumWalBytes ?? DEFAULT_WAL_BYTES;
    this.lastPassAt = performance.now();
    if (walBytes > 0) {
      try {
        this.lastPassLsn = await this.walInsertBytes();
      } catch {
        // Read again at the first check.
      }
    }
    this.timer = setInterval(
      () => {
        this.running ??= this.tick(intervalMs, walBytes).finally(() => (this.running = undefined));
      },
      walBytes > 0 ? Math.min(intervalMs, WAL_CHECK_MS) : intervalMs,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(intervalMs: number, walBytes: number): Promise<void> {
    if (performance.now() - this.lastPassAt >= intervalMs) return this.vacuum('interval');
    const writes = this.database.stats.writeTransactions;
    if (walBytes <= 0 || writes === this.writesSeen) return;
    this.writesSeen = writes;
    try {
      const lsn = await this.walInsertBytes();
      if (this.lastPassLsn === undefined) this.lastPassLsn = lsn;
      else if (lsn - this.lastPassLsn >= walBytes) await this.vacuum('wal');
    } catch (err) {
      this.opts.logger?.warn({ err }, 'pglite WAL position unreadable; the interval still vacuums');
    }
  }

  private async walInsertBytes(): Promise<number> {
    const { rows } = await sql<{ b: number }>`${sql.raw(MAINTENANCE_SQL)} select pg_current_wal_insert_lsn() - '0/0'::pg_lsn as b`.execute(this.database.db);
    return Number(rows[0]!.b);
  }

  /** One VACUUM of every table, then a CHECKPOINT, now. */
  async vacuum(trigger: VacuumTrigger = 'interval'): Promise<void> {
    const started = performance.now();
    try {
      await sql`${sql.raw(MAINTENANCE_SQL)} vacuum`.execute(this.database.db);
      await sql`${sql.raw(MAINTENANCE_SQL)} checkpoint`.execute(this.database.db);
      const seconds = (performance.now() - started) / 1000;
      this.duration?.observe({ trigger }, seconds);
      this.opts.logger?.debug({ ms: Math.round(seconds * 1000), trigger }, 'pglite vacuumed');
      this.lastPassLsn = await this.walInsertBytes();
    } catch (err) {
      this.opts.logger?.warn({ err }, 'pglite vacuum failed; will retry at the next interval');
    } finally {
      this.lastPassAt = performance.now();
    }
    this.opts.onPass?.(trigger);
  }
}

/** One number from an upkeep query; a failure (the database closing under a scrape) keeps the last value. */
async function scalar(db: Database['db'], query: RawBuilder<{ b: number }>, gauge: Gauge): Promise<number> {
  try {
    return Number((await query.execute(db)).rows[0]!.b);
  } catch {
    return (await gauge.get()).values[0]?.value ?? 0;
  }
}
