import type { Library } from '@chasm/core';
import { registerWorkflowExtension } from '@chasm/workflow';
import { lib } from './library-builder.js';
import { wiredCancelTask, wiredInvokeTask, type InvocationDeps } from './operation/invocation.js';
import { NexusOperation, WorkflowOperations } from './operation/operation.js';
import { CancelBackoffTask, InvocationBackoffTask, TimeoutTask } from './operation/operation-machine.js';
import { nexusWorkflowExtension } from './operation/workflow-extension.js';

/**
 * The `nexus` CHASM library: the NexusOperation component (inside workflow runs for now) with its
 * invocation, cancel, backoff and timeout tasks, and this package's hooks in the workflow-task
 * protocol (ScheduleNexusOperation, RequestCancelNexusOperation).
 */
export function createNexusLibrary(deps: InvocationDeps): Library {
  registerWorkflowExtension(nexusWorkflowExtension({ endpoints: deps.endpoints, breakers: deps.breakers, config: deps.config }));
  return lib.build({
    components: [NexusOperation, WorkflowOperations],
    tasks: [wiredInvokeTask(deps), wiredCancelTask(deps), InvocationBackoffTask, CancelBackoffTask, TimeoutTask],
  });
}
