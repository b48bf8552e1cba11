import type { NexusEndpoint } from './endpoint.js';

/**
 * The caller side's view of the registry: what a Nexus operation (or the Nexus HTTP handler)
 * needs to resolve the endpoint it names. Bound under `NEXUS_ENDPOINTS`. Reads come from a cache
 * that every change made through this node drops, so they are cheap enough for every call.
 */
export interface EndpointRegistry {
  /** The endpoint with this exact name, or undefined. */
  getByName(name: string): Promise<NexusEndpoint | undefined>;
  /** The endpoint with this id, or undefined. */
  getById(id: string): Promise<NexusEndpoint | undefined>;
}

/** DI token of the `EndpointRegistry` (bound by the nexus plugin's module). */
export const NEXUS_ENDPOINTS = Symbol.for('chasm/NexusEndpoints');
