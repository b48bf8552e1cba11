import type { ServiceLifecycle } from '@chasm/core';
import type { Logger } from 'pino';
import type { NamespaceSeed } from '../config/server-config.js';
import type { Namespaces } from './namespaces.js';

/** Registers the configured namespaces (e.g. `default` in dev) if they do not exist yet. */
export class NamespaceSeeder implements ServiceLifecycle {
  readonly name = 'namespace-seeder';

  constructor(
    private readonly namespaces: Namespaces,
    private readonly seeds: readonly NamespaceSeed[],
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const seed of this.seeds) {
      const record = await this.namespaces.ensureRegistered(seed);
      this.logger.info({ namespace: record.name, id: record.id }, 'namespace ready');
    }
  }

  async stop(): Promise<void> {}
}
