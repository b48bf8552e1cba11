/**
 * The WorkflowService methods for workflow runs, assembled from the files that hold them: start
 * (start-handlers.ts), workflow and query tasks (workflow-task-handlers.ts), QueryWorkflow
 * (query-handler.ts), signal/cancel/terminate/delete (control-handlers.ts), reads
 * (read-handlers.ts), and the activity, options and reset RPCs. Activity tasks go through the
 * activity-task router.
 */
import { WORKFLOW_SERVICE, type RpcHandlerSet } from '@chasm/core';
import { api } from '../proto.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import type { QueryRegistry } from '../workflow/queries.js';
import { workflowTaskNotFound } from '../workflow/task-token.js';
import { activityOperatorHandlers } from './activity-operator-handlers.js';
import { controlHandlers } from './control-handlers.js';
import { queryHandler } from './query-handler.js';
import { readHandlers } from './read-handlers.js';
import { resetWorkflowExecution } from './reset-handler.js';
import type { SearchAttributeRegistry } from './search-attribute-registry.js';
import { startHandlers } from './start-handlers.js';
import { workflowOptionsHandlers } from './workflow-options-handlers.js';
import { workflowTaskHandlers } from './workflow-task-handlers.js';

/** The WorkflowService methods for workflow runs (activity tasks go through the router). */
export function workflowRpcHandlers(deps: WorkflowDeps, queries: QueryRegistry, searchAttributes: SearchAttributeRegistry): RpcHandlerSet {
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      ...activityOperatorHandlers(deps),
      ...workflowOptionsHandlers(deps),
      ResetWorkflowExecution: resetWorkflowExecution(deps),
      ...startHandlers(deps, searchAttributes),
      ...workflowTaskHandlers(deps, queries, searchAttributes),
      ...queryHandler(deps, queries),
      ...controlHandlers(deps),
      ...readHandlers(deps, searchAttributes),
    },
  };
}

export { api, workflowTaskNotFound };
