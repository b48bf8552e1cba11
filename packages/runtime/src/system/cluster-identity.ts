import type { Clock, Database, ServiceLifecycle } from '@chasm/core';
import { loadClusterMetadata, type ClusterMetadata } from './cluster-metadata.js';

/** Loads (or creates) the cluster's identity at start; the first service to start. */
export class ClusterIdentity implements ServiceLifecycle {
  readonly name = 'cluster-identity';
  private metadata: ClusterMetadata | undefined;

  constructor(
    private readonly database: Database,
    private readonly shards: number,
    private readonly clock: Clock,
  ) {}

  async start(): Promise<void> {
    this.metadata = await loadClusterMetadata(this.database, this.shards, this.clock.now());
  }

  async stop(): Promise<void> {}

  get current(): ClusterMetadata {
    if (!this.metadata) throw new Error('cluster identity is read before the server started');
    return this.metadata;
  }
}
