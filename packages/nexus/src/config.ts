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
  /** Longest operation id, request id and identity of a standalone operation (limit.maxIDLength). */
  maxIdLength: positive(1000),
  /** How long Describe (with a long-poll token) and PollNexusOperationExecution wait at most. */
  longPollTimeoutMs: positive(20_000),
  /** The longest a single Nexus request may take (nexusoperation.request.timeout). */
  requestTimeoutMs: positive(10_000),
  /** Less time than this left before a schedule timeout: no call, the operation times out (nexusoperation.limit.request.timeout.min). */
  minRequestTimeoutMs: positive(1_500),
  /** Longest operation token a handler may return (nexusoperation.limit.operation.token.length). */
  maxOperationTokenLength: positive(4096),
  /** Largest input a workflow may send and sync result a handler may return, in bytes (limit.blobSize.error). */
  maxInputBytes: positive(2 * 1024 * 1024),
  maxResultBytes: positive(2 * 1024 * 1024),
  /** Largest total size of a command's Nexus header, in bytes (nexusoperation.limit.header.size). */
  maxHeaderBytes: positive(8 * 1024),
  /** Longest service and operation names (nexusoperation.limit.service.name.length / operation.name.length). */
  maxServiceNameLength: positive(1000),
  maxOperationNameLength: positive(1000),
  /** Pending operations per workflow run (nexusoperation.limit.pendingOperations). */
  maxPendingOperations: positive(2000),
  /** Consecutive destination-down failures that open an endpoint's circuit breaker. */
  circuitBreakerFailures: positive(5),
  /** How long an open circuit stays open before one trial call. */
  circuitBreakerOpenMs: positive(60_000),
  /**
   * The base URL external Nexus handlers reach this server's HTTP API at: the callback URL they
   * get is `<base>/namespaces/<namespace>/nexus/callback` (nexusoperation.callback.endpoint.template).
   * Default: the address the runtime's HTTP port listens on.
   */
  callbackBaseUrl: z.url().optional(),
  /**
   * Let DeleteNamespace delete a namespace that a Nexus endpoint targets (the endpoint stays and
   * its requests fail); Temporal's frontend.allowDeleteNamespaceIfNexusEndpointTarget, default false.
   */
  allowDeleteNamespaceIfEndpointTarget: z.boolean().default(false),
});

export type NexusConfig = Readonly<z.output<typeof nexusConfigSchema>>;
export const DEFAULT_NEXUS_CONFIG: NexusConfig = nexusConfigSchema.parse({});
