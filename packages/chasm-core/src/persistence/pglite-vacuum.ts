import { sql } from 'kysely';
import type { Logger } from 'pino';
import { Histogram, type Registry as PromRegistry } from 'prom-client';
import type { ServiceLifecycle } from '../tokens.js';
import type { Database } from './database.js';

export interface PGliteVacuumOptions {
  readonly logger?: Logger;
  readonly metrics?: PromRegistry;
}

const DEFAULT_INTERVAL_MS = 30_000;

/**
 * VACUUM for embedded PGlite, which has no autovacuum: it runs Postgres in a single process,
 * without the autovacuum launcher, so a dead row (every update of a node, every finished task,
 * every execution removed by retention) keeps its space forever and the in-memory database only
 * grows. A periodic plain VACUUM (`database.vacuumIntervalMs`, default 30 s) makes that space reusable (and gives empty trailing pages
 * back), so a steady load levels off. Plain VACUUM takes no exclusive lock; on PGlite it holds
 * the single connection for its duration (tens of ms when little changed: pages that are
 * all-visible are skipped). Postgres needs none of this: its autovacuum does it.
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
  private readonly duration: Histogram | undefined;

  constructor(
    private readonly database: Database,
    private readonly opts: PGliteVacuumOptions = {},
  ) {
    const registry = opts.metrics;
    this.duration = registry
      ? ((registry.getSingleMetric('chasm_pglite_vacuum_seconds') as Histogram | undefined) ??
        new Histogram({
          name: 'chasm_pglite_vacuum_seconds',
          help: 'Duration of the periodic VACUUM of the embedded PGlite database',
          buckets: [0.01, 0.05, 0.1, 0.5, 1, 5],
          registers: [registry],
        }))
      : undefined;
  }

  async start(): Promise<void> {
    const config = this.database.config;
    if (config.kind !== 'pglite') return;
    const intervalMs = config.vacuumIntervalMs ?? DEFAULT_INTERVAL_MS;
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.vacuum().finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One VACUUM of every table, then a CHECKPOINT, now. */
  async vacuum(): Promise<void> {
    const started = performance.now();
    try {
      await sql`vacuum`.execute(this.database.db);
      await sql`checkpoint`.execute(this.database.db);
      const seconds = (performance.now() - started) / 1000;
      this.duration?.observe(seconds);
      this.opts.logger?.debug({ ms: Math.round(seconds * 1000) }, 'pglite vacuumed');
    } catch (err) {
      this.opts.logger?.warn({ err }, 'pglite vacuum failed; will retry at the next interval');
    }
  }
}
