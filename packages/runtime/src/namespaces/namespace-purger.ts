import type { ChasmEngine, Clock, ExecutionStore, NamespacePurgeStep, ServiceLifecycle } from '@chasm/core';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { NamespaceState } from './namespace-record.js';
import type { NamespaceDeletion, NamespaceStore } from './namespace-store.js';

export interface NamespacePurgerOptions {
  /** How often deleted namespaces are looked for (DeleteNamespace also starts a pass at once). */
  readonly intervalMs?: number;
  /** Executions (or a step's rows) deleted per call. */
  readonly batchSize?: number;
  /**
   * How long after the delete the data may still be growing: other nodes resolve names through
   * a cache (10 s) and a request that resolved the name just before the delete may still commit.
   * The data counts as gone only when a pass that began this long after the delete found none.
   * Temporal waits its namespace cache refresh interval plus 2 s; so do we (12 s).
   */
  readonly settleMs?: number;
}

/** Pause after a batch whose executions were all busy writing visibility: they are done in moments. */
const BUSY_PAUSE_MS = 100;

type DeletedNamespace = { readonly id: string; readonly name: string; readonly deletion: NamespaceDeletion };

/**
 * Removes the data of deleted namespaces in the background, as Temporal's reclaim-resources
 * workflow does (ADR 0026, ADR 0036): first every execution of the namespace (state, history,
 * tasks, visibility, current-run rows, standalone activities and Nexus operations alike), then
 * each package's rows through its `NamespacePurgeStep` (matching's task queues and backlogs),
 * all in batches. Once nothing is left, and the settle window has passed, the time is written
 * to the namespace's row (`purged_at`); the row itself is removed `delete_delay_ms` later
 * (Temporal's namespace delete delay, default 0), after which the id answers NOT_FOUND.
 *
 * Everything it needs is in the namespace's row, so a purge interrupted by a crash or a restart
 * goes on at the next pass, and a restarted server honours the remaining delay.
 */
export class NamespacePurger implements ServiceLifecycle {
  readonly name = 'namespace-purger';
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly settleMs: number;
  private readonly deletedRows: Counter<'step'>;
  private readonly removed: Counter;

  constructor(
    private readonly store: NamespaceStore,
    private readonly engine: ChasmEngine,
    private readonly executions: Pick<ExecutionStore, 'listNamespaceExecutions'> & { readonly shardCount: number },
    private readonly steps: readonly NamespacePurgeStep[],
    private readonly clock: Clock,
    private readonly logger: Logger,
    metrics: Registry,
    opts: NamespacePurgerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.batchSize = opts.batchSize ?? 200;
    this.settleMs = opts.settleMs ?? 12_000;
    this.deletedRows = new Counter({
      name: 'chasm_namespace_purge_deleted_total',
      help: 'Rows of deleted namespaces removed by the namespace purger, by step (executions: whole executions).',
      labelNames: ['step'],
      registers: [metrics],
    });
    this.removed = new Counter({
      name: 'chasm_namespaces_removed_total',
      help: 'Deleted namespaces whose row was removed once their data was gone and their delete delay had passed.',
      registers: [metrics],
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    // Not awaited: a purge left over from before a restart must not hold up start-up.
    this.kick();
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.wake);
    await this.pass;
  }

  /** Starts a pass now (or right after the one running). */
  kick(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.run().finally(() => {
      this.pass = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async run(): Promise<void> {
    let next: number | undefined;
    try {
      for (const ns of await this.store.listInState(NamespaceState.Deleted)) {
        if (this.stopped) return;
        const due = await this.advance(ns);
        if (due !== undefined) next = next === undefined ? due : Math.min(next, due);
      }
    } catch (err) {
      // The database went away, or a shard moved: the next pass goes on where this one stopped.
      this.logger.warn({ err }, 'removing the data of deleted namespaces failed; will retry');
    }
    // The next settle or delay ending sooner than the next interval: a pass right then.
    if (next !== undefined && !this.stopped) {
      clearTimeout(this.wake);
      this.wake = setTimeout(() => this.kick(), Math.max(0, next - this.clock.now().getTime()));
      this.wake.unref();
    }
  }

  /** One namespace one step further; returns when it next has something to do, if before the next interval. */
  private async advance(ns: DeletedNamespace): Promise<number | undefined> {
    const startedAt = this.clock.now().getTime();
    let { purgedAt } = ns.deletion;
    if (!purgedAt) {
      const executions = await this.purgeExecutions(ns.id);
      const rows = new Map<string, number>();
      for (const step of this.steps) rows.set(step.name, await this.purgeStep(step, ns.id));
      // Executions before the delete time (+ settle) can still appear; after, none can.
      const settledAt = (ns.deletion.deletedAt?.getTime() ?? 0) + this.settleMs;
      if (startedAt < settledAt) return settledAt;
      if (!(await this.noExecutionsLeft(ns.id))) return undefined; // another node's shards: its purger
      purgedAt = this.clock.now();
      await this.store.markPurged(ns.id, NamespaceState.Deleted, purgedAt);
      this.logger.info(
        { namespaceId: ns.id, namespace: ns.name, executions, ...Object.fromEntries(rows), delayMs: ns.deletion.delayMs },
        'deleted namespace: its data is gone',
      );
    }
    const removeAt = purgedAt.getTime() + ns.deletion.delayMs;
    if (this.clock.now().getTime() < removeAt) return removeAt;
    if (await this.store.remove(ns.id, NamespaceState.Deleted)) {
      this.removed.inc();
      this.logger.info({ namespaceId: ns.id, namespace: ns.name }, 'deleted namespace removed');
    }
    return undefined;
  }

  private async purgeExecutions(namespaceId: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      if (this.stopped) return deleted;
      const r = await this.engine.purgeNamespace(namespaceId, this.batchSize);
      if (r.found === 0) return deleted;
      deleted += r.deleted;
      this.deletedRows.inc({ step: 'executions' }, r.deleted);
      if (r.deleted === 0) await new Promise((resolve) => setTimeout(resolve, BUSY_PAUSE_MS));
    }
  }

  private async purgeStep(step: NamespacePurgeStep, namespaceId: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      if (this.stopped) return deleted;
      const n = await step.purge(namespaceId, this.batchSize);
      if (n === 0) return deleted;
      deleted += n;
      this.deletedRows.inc({ step: step.name }, n);
    }
  }

  private async noExecutionsLeft(namespaceId: string): Promise<boolean> {
    const all = Array.from({ length: this.executions.shardCount }, (_, i) => i);
    return (await this.executions.listNamespaceExecutions(namespaceId, all, 1)).length === 0;
  }
}
