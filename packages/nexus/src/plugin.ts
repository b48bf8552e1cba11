import { definePlugin, OPERATOR_SERVICE, packageCoreRange, packageVersion } from '@chasm/core';
import { nexusConfigSchema } from './config.js';
import { ENDPOINT_METHODS } from './grpc/endpoint-handlers.js';
import { nexusModule } from './module.js';

/**
 * The nexus plugin. So far the cluster-wide endpoint registry (OperatorService); Nexus operations,
 * callbacks and the Nexus HTTP handler come later (issue 12). Needs no other plugin: it keeps its
 * own table and resolves namespaces through the runtime.
 */
export const nexusPlugin = definePlugin({
  name: 'nexus',
  version: packageVersion(import.meta.url),
  description: 'Nexus: the cluster-wide Nexus endpoint registry (OperatorService *NexusEndpoint*)',
  // peerDependencies['@chasm/core'] of package.json: the server refuses a core outside it.
  coreApi: packageCoreRange(import.meta.url),
  requires: [],
  config: nexusConfigSchema,
  serves: [{ service: OPERATOR_SERVICE, methods: [...ENDPOINT_METHODS] }],
  module: (config) => nexusModule(config),
});

export default nexusPlugin;
