import { definePlugin, OPERATOR_SERVICE, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { nexusConfigSchema } from './config.js';
import { ENDPOINT_METHODS } from './grpc/endpoint-handlers.js';
import { NEXUS_TASK_METHODS } from './grpc/nexus-task-handlers.js';
import { nexusModule } from './module.js';

/**
 * The nexus plugin. So far the cluster-wide endpoint registry (OperatorService) and the handler
 * side: the dispatcher that hands Nexus requests to workers and the worker RPCs
 * (PollNexusTaskQueue, RespondNexusTask{Completed,Failed}). Nexus operations, callbacks and the
 * Nexus HTTP handler come later (issue 12). Needs matching: Nexus tasks are sync-matched there.
 */
export const nexusPlugin = definePlugin({
  name: 'nexus',
  version: packageVersion(import.meta.url),
  description: 'Nexus: the endpoint registry (OperatorService *NexusEndpoint*) and Nexus task dispatch to workers',
  // peerDependencies['@chasm/core'] of package.json: the server refuses a core outside it.
  coreApi: packageCoreRange(import.meta.url),
  requires: ['matching'],
  config: nexusConfigSchema,
  serves: [
    { service: OPERATOR_SERVICE, methods: [...ENDPOINT_METHODS] },
    { service: WORKFLOW_SERVICE, methods: [...NEXUS_TASK_METHODS] },
  ],
  module: (config) => nexusModule(config),
});

export default nexusPlugin;
