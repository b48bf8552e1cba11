/**
 * @module @chasm/workflow-update
 * Workflow Update as CHASM components under a workflow run (`workflowUpdate.registry` and
 * `workflowUpdate.update`: admitted, accepted, rejected, completed), delivered to workers as
 * protocol messages on workflow tasks through the workflow package's extension point, and the
 * RPCs UpdateWorkflowExecution, PollWorkflowExecutionUpdate and ExecuteMultiOperation
 * (Update-with-Start).
 */
export { WorkflowUpdate, UpdateRegistry, REGISTRY_KEY, type UpdateState, type UpdateStatus, type UpdateRegistryState } from './update/update.js';
export { Accept, Reject, Complete } from './update/update.transitions.js';
export { updateExtension, unprocessedUpdateFailure, acceptedUpdateCompletedWorkflowFailure } from './update/update-extension.js';
export { createWorkflowUpdateLibrary } from './library.js';
export { workflowUpdateModule, WORKFLOW_UPDATE_CONFIG } from './module.js';
export { DEFAULT_WORKFLOW_UPDATE_CONFIG, workflowUpdateConfigSchema, type WorkflowUpdateConfig } from './config.js';
export { InFlightLimitError, InFlightPayloadLimitError, TotalLimitError } from './errors.js';
export { WorkflowUpdateMetrics } from './metrics.js';
// The default export is what a server loads when a config names this package by name or path.
export { workflowUpdatePlugin, workflowUpdatePlugin as default } from './plugin.js';
