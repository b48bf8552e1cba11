import type { Library } from '@chasm/core';
import { lib } from './library-builder.js';
import { registerWorkflowExtension } from '@chasm/workflow';
import { DEFAULT_WORKFLOW_UPDATE_CONFIG, type WorkflowUpdateConfig } from './config.js';
import { updateExtension } from './update/update-extension.js';
import { UpdateRegistry, WorkflowUpdate } from './update/update.js';

/**
 * The workflow-update library: the update registry and update components that live under a
 * workflow run's `extensions` map, plus this package's hooks in the workflow-task protocol.
 */
export function createWorkflowUpdateLibrary(config: WorkflowUpdateConfig = DEFAULT_WORKFLOW_UPDATE_CONFIG): Library {
  registerWorkflowExtension(updateExtension({ rejectedKept: config.rejectedKept, maxTotalUpdates: config.maxTotalUpdates }));
  return lib.build({ components: [UpdateRegistry, WorkflowUpdate], tasks: [] });
}
