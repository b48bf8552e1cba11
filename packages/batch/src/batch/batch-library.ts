import type { Library } from '@chasm/core';
import { library } from '../library.js';
import { Batch } from './batch.js';
import { processTaskType, type ProcessDeps } from './batch.tasks.js';

/** What the plugin registers: the component and its processing task, wired to the WorkflowService. */
export function createBatchLibrary(deps: ProcessDeps): Library {
  return library.build({ components: [Batch], tasks: [processTaskType(deps)] });
}
