import { definePlugin, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { workflowUpdateConfigSchema } from './config.js';
import { workflowUpdateModule } from './module.js';

/** The workflow-update plugin: Workflow Update inside workflow runs, and Update-with-Start. */
export const workflowUpdatePlugin = definePlugin({
  name: 'workflow-update',
  version: packageVersion(import.meta.url),
  description: 'Workflow Update: UpdateWorkflowExecution, PollWorkflowExecutionUpdate, Update-with-Start',
  coreApi: packageCoreRange(import.meta.url),
  requires: ['workflow'],
  config: workflowUpdateConfigSchema,
  serves: [{ service: WORKFLOW_SERVICE, methods: ['UpdateWorkflowExecution', 'PollWorkflowExecutionUpdate', 'ExecuteMultiOperation'] }],
  module: (config) => workflowUpdateModule(config),
});

export default workflowUpdatePlugin;
