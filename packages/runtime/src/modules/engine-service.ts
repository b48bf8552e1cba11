import type { ChasmEngine, Database, KyselyExecutionStore, ServiceLifecycle } from '@chasm/core';

/**
 * Starts the CHASM engine once the database is migrated and every library is registered:
 * initialises the execution store, takes the shards, and starts task processing (which
 * resumes every task and timer left in the database by a previous run).
 */
export class EngineService implements ServiceLifecycle {
  readonly name = 'chasm-engine';
  constructor(
    private readonly engine: ChasmEngine,
    private readonly store: KyselyExecutionStore,
    private readonly database: Database,
  ) {}
  async start(): Promise<void> {
    await this.store.init(this.database);
    await this.engine.startup();
  }
  async stop(): Promise<void> {
    await this.engine.shutdown();
  }
}
