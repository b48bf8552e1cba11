import { z } from 'zod';

const positive = (def: number) => z.number().int().positive().default(def);

/**
 * The plugin's settings (`settings.nexus` in the server config), validated at start. Defaults are
 * Temporal's dynamic config defaults for the endpoint registry (`NexusEndpoint*` keys).
 */
export const nexusConfigSchema = z.strictObject({
  /** Longest endpoint name (NexusEndpointNameMaxLength). */
  maxNameLength: positive(200),
  /** Largest encoded description payload, in bytes (NexusEndpointDescriptionMaxSize). */
  maxDescriptionBytes: positive(20_000),
  /** Longest external target URL (NexusEndpointExternalURLMaxLength). */
  maxUrlLength: positive(4000),
  /** Longest worker target task queue name (limit.maxIDLength). */
  maxTaskQueueLength: positive(1000),
  /** ListNexusEndpoints page size when the request sets none (NexusEndpointListDefaultPageSize). */
  defaultPageSize: positive(100),
  /** The largest page size a request may ask for; larger is INVALID_ARGUMENT (NexusEndpointListMaxPageSize). */
  maxPageSize: positive(1000),
});

export type NexusConfig = Readonly<z.output<typeof nexusConfigSchema>>;
export const DEFAULT_NEXUS_CONFIG: NexusConfig = nexusConfigSchema.parse({});
