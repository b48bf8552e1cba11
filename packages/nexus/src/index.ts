/**
 * @module @chasm/nexus
 * Nexus for the CHASM server. So far: the cluster-wide Nexus endpoint registry, served as
 * OperatorService Create/Get/Update/Delete/ListNexusEndpoints and exposed to other packages as
 * an `EndpointRegistry` under `NEXUS_ENDPOINTS`; and the handler side: a `NexusDispatcher` under
 * `NEXUS_DISPATCHER` that hands Nexus requests to the workers polling a task queue, with the
 * worker RPCs PollNexusTaskQueue and RespondNexusTask{Completed,Failed}.
 */
export type { NexusEndpoint, EndpointDescription, EndpointTarget, EndpointSpec } from './endpoints/endpoint.js';
export { endpointUrlPrefix } from './endpoints/endpoint.js';
export { NEXUS_ENDPOINTS, type EndpointRegistry } from './endpoints/endpoint-registry.js';
export { nexusMigrations } from './endpoints/migrations.js';
export { ENDPOINT_METHODS, endpointRpcHandlers } from './grpc/endpoint-handlers.js';
export { ENDPOINT_NAME_PATTERN } from './grpc/validate-spec.js';
export { NEXUS_DISPATCHER, type DispatchRequest, type NexusDispatcher, type NexusTaskResult } from './dispatch/nexus-dispatcher.js';
export { NexusTaskDispatcher } from './dispatch/task-dispatcher.js';
export { decodeNexusTaskToken, encodeNexusTaskToken, type NexusTaskToken } from './dispatch/task-token.js';
export { NEXUS_TASK_METHODS, REQUEST_TIMEOUT_HEADER, nexusTaskRpcHandlers } from './grpc/nexus-task-handlers.js';
export { nexusModule, NEXUS_CONFIG } from './module.js';
export { createNexusLibrary } from './library.js';
export { NexusOperation, WorkflowOperations, type OperationState, type OperationStatus, type OperationComponent } from './operation/operation.js';
export type { OperationOwner, OperationOutcome } from './operation/operation-owner.js';
export { DEFAULT_NEXUS_CONFIG, nexusConfigSchema, type NexusConfig } from './config.js';
export { EndpointNameTakenError, EndpointNotFoundError, EndpointVersionMismatchError, NexusTaskNotFoundError } from './errors.js';
// The default export is what a server loads when a config names this package by name or path.
export { nexusPlugin, nexusPlugin as default } from './plugin.js';
