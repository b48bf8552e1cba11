import type { ChasmEngine, ServiceLifecycle } from '@chasm/core';
import type { Logger } from 'pino';
import { NamespaceState } from './namespace-record.js';
import type { NamespaceStore } from './namespace-store.js';

export interface NamespacePurgerOptions {
  /** How often deleted namespaces are looked for (DeleteNamespace also starts a pass at once). */
  readonly intervalMs?: number;
  /** Executions deleted per engine call. */
  readonly batchSize?: number;
}

/** Pause after a batch whose executions were all busy writing visibility: they are done in moments. */
const BUSY_PAUSE_MS = 100;

/**
 * Removes the data of deleted namespaces in the background, as Temporal's namespace-delete
 * (reclaim resources) workflow does: every execution of the namespace (state, history,
 * tasks, visibility, current-run rows), in batches, each delete one fenced store call. Nothing
 * is remembered but the namespace's Deleted state, so a purge interrupted by a crash or a
 * restart simply goes on at the next pass. Executions are deleted without being terminated:
 * the namespace is gone, so no callback or parent of it is owed a close.
 *
 * The namespace row itself stays (state Deleted, renamed), so its id still resolves for
 * ListNamespaces with include_deleted.
 */
export class NamespacePurger implements ServiceLifecycle {
  readonly name = 'namespace-purger';
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Namespaces this process found empty (on the shards it owns); checked again after a restart. */
  private readonly done = new Set<string>();
  private readonly intervalMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly store: NamespaceStore,
    private readonly engine: ChasmEngine,
    private readonly logger: Logger,
    opts: NamespacePurgerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.batchSize = opts.batchSize ?? 200;
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
    try {
      for (const ns of await this.store.listInState(NamespaceState.Deleted)) {
        if (this.done.has(ns.id)) continue;
        let deleted = 0;
        for (;;) {
          if (this.stopped) return;
          const r = await this.engine.purgeNamespace(ns.id, this.batchSize);
          if (r.found === 0) break;
          deleted += r.deleted;
          if (r.deleted === 0) await new Promise((resolve) => setTimeout(resolve, BUSY_PAUSE_MS));
        }
        this.done.add(ns.id);
        if (deleted > 0) this.logger.info({ namespaceId: ns.id, namespace: ns.name, executions: deleted }, 'deleted namespace: its executions were removed');
      }
    } catch (err) {
      // The database went away, or a shard moved: the next pass goes on where this one stopped.
      this.logger.warn({ err }, 'removing the data of deleted namespaces failed; will retry');
    }
  }
}
