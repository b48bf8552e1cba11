import { definePlugin, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { batchConfigSchema } from './config.js';
import { batchModule } from './module.js';

/**
 * The batch plugin: batch operations (terminate, cancel, signal, delete) over workflow
 * executions selected by a visibility query or listed, each its own `batch.batch` execution.
 *
 *     packages: [matching, workflow, batch]
 *     settings: { batch: { maxOperationsPerSecond: 50 } }
 */
export const batchPlugin = definePlugin({
  name: 'batch',
  version: packageVersion(import.meta.url),
  description: 'Batch operations on workflow executions (terminate, cancel, signal, delete) as a CHASM component',
  coreApi: packageCoreRange(import.meta.url),
  // It lists, counts and operates on workflows through the workflow package's RPCs.
  requires: ['workflow'],
  config: batchConfigSchema,
  serves: [{ service: WORKFLOW_SERVICE, methods: ['StartBatchOperation', 'StopBatchOperation', 'DescribeBatchOperation', 'ListBatchOperations'] }],
  module: (config) => batchModule(config),
});

export default batchPlugin;
