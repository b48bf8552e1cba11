import { definePlugin, OPERATOR_SERVICE, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { nexusConfigSchema } from './config.js';
import { ENDPOINT_METHODS } from './grpc/endpoint-handlers.js';
import { NEXUS_TASK_METHODS } from './grpc/nexus-task-handlers.js';
import { OPERATION_METHODS } from './grpc/operation-handlers.js';
import { NEXUS_ROUTES } from './http/nexus-routes.js';
import { nexusModule } from './module.js';

/**
 * The nexus plugin: the cluster-wide endpoint registry (OperatorService); the handler side (the
 * dispatcher that hands Nexus requests to workers, PollNexusTaskQueue and
 * RespondNexusTask{Completed,Failed}); and the caller side in workflow runs (the NexusOperation
 * component, ScheduleNexusOperation / RequestCancelNexusOperation, async completion through the
 * callbacks of the runs handlers start). Needs matching (Nexus tasks are sync-matched there) and
 * workflow (operations live in runs).
 * Standalone operations are the same component as its own execution. The Nexus HTTP API (start and
 * cancel on an endpoint, the completion callback URL) is served on the runtime's HTTP port, and
 * endpoints with an external target are called over it (ADR 0014).
 */
export const nexusPlugin = definePlugin({
  name: 'nexus',
  version: packageVersion(import.meta.url),
  description: 'Nexus: endpoints, task dispatch to workers, and Nexus operations called from workflows',
  // peerDependencies['@chasm/core'] of package.json: the server refuses a core outside it.
  coreApi: packageCoreRange(import.meta.url),
  requires: ['matching', 'workflow'],
  config: nexusConfigSchema,
  serves: [
    { service: OPERATOR_SERVICE, methods: [...ENDPOINT_METHODS] },
    { service: WORKFLOW_SERVICE, methods: [...NEXUS_TASK_METHODS, ...OPERATION_METHODS] },
  ],
  routes: [...NEXUS_ROUTES],
  module: (config) => nexusModule(config),
});

export default nexusPlugin;
