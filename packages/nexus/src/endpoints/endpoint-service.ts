import { randomUUID } from 'node:crypto';
import type { Clock } from '@chasm/core';
import type { Logger } from 'pino';
import type { NexusMetrics } from '../metrics.js';
import type { EndpointSpec, NexusEndpoint } from './endpoint.js';
import type { EndpointRegistry } from './endpoint-registry.js';
import type { EndpointPage, EndpointStore } from './endpoint-store.js';

interface Snapshot {
  readonly byId: ReadonlyMap<string, NexusEndpoint>;
  readonly byName: ReadonlyMap<string, NexusEndpoint>;
}

/**
 * The endpoint registry: writes go to the store (which decides conflicts), reads for the
 * operator API go to the store too (read-after-write, as Temporal's frontend does), and the
 * caller-side lookups (`getByName` / `getById`) go through an in-memory snapshot of the whole
 * table that every write through this service drops. Single node only: another node's writes
 * are not seen until this one writes or restarts (ADR 0011).
 */
export class EndpointService implements EndpointRegistry {
  #snapshot: Promise<Snapshot> | undefined;

  constructor(
    private readonly store: EndpointStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: NexusMetrics,
  ) {}

  async create(spec: EndpointSpec): Promise<NexusEndpoint> {
    const endpoint = await this.store.create(randomUUID(), spec, this.clock.now());
    this.#changed('created', endpoint);
    return endpoint;
  }

  async update(id: string, version: number, spec: EndpointSpec): Promise<NexusEndpoint> {
    const endpoint = await this.store.update(id, version, spec, this.clock.now());
    this.#changed('updated', endpoint);
    return endpoint;
  }

  async delete(id: string, version: number): Promise<void> {
    await this.store.delete(id, version);
    this.#changed('deleted', { id, version });
  }

  get(id: string): Promise<NexusEndpoint | undefined> {
    return this.store.get(id);
  }

  list(pageSize: number, afterName: string | undefined): Promise<EndpointPage> {
    return this.store.list(pageSize, afterName);
  }

  /** ListNexusEndpoints' exact-name filter: read-after-write like the rest of the operator API. */
  findByName(name: string): Promise<NexusEndpoint | undefined> {
    return this.store.getByName(name);
  }

  async getByName(name: string): Promise<NexusEndpoint | undefined> {
    return (await this.#load()).byName.get(name);
  }

  async getById(id: string): Promise<NexusEndpoint | undefined> {
    return (await this.#load()).byId.get(id);
  }

  #load(): Promise<Snapshot> {
    if (this.#snapshot) return this.#snapshot;
    const loading = this.store.all().then((all) => ({
      byId: new Map(all.map((e) => [e.id, e])),
      byName: new Map(all.map((e) => [e.name, e])),
    }));
    this.#snapshot = loading;
    // A failed load is not cached: the next lookup tries again.
    loading.catch(() => {
      if (this.#snapshot === loading) this.#snapshot = undefined;
    });
    return loading;
  }

  /**
   * Drops the snapshot after a committed change. A load that was in flight is not kept either
   * (it may have read the table before the change), only handed to the callers already waiting.
   */
  #changed(change: 'created' | 'updated' | 'deleted', e: { id: string; version: number; name?: string }): void {
    this.#snapshot = undefined;
    this.metrics.endpointChanges.inc({ change });
    // Ids, names and versions only: the description is user data and stays out of the log.
    this.logger.info({ endpointId: e.id, endpointName: e.name, version: e.version, change }, `nexus endpoint ${change}`);
  }
}
