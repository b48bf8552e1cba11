import { definePlugin, packageCoreRange, OPERATOR_SERVICE, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { workflowConfigSchema } from './config.js';
import { workflowModule } from './module.js';

/** The workflow plugin: workflow executions with event history, and their RPCs. */
export const workflowPlugin = definePlugin({
  name: 'workflow',
  version: packageVersion(import.meta.url),
  description: 'workflow executions: history, workflow tasks, commands, timers, signals, queries, children',
  coreApi: packageCoreRange(import.meta.url),
  requires: ['matching'],
  config: workflowConfigSchema,
  serves: [
    {
      service: WORKFLOW_SERVICE,
      methods: [
        'StartWorkflowExecution',
        'SignalWithStartWorkflowExecution',
        'SignalWorkflowExecution',
        'QueryWorkflow',
        'RequestCancelWorkflowExecution',
        'TerminateWorkflowExecution',
        'DeleteWorkflowExecution',
        'DescribeWorkflowExecution',
        'GetWorkflowExecutionHistory',
        'GetWorkflowExecutionHistoryReverse',
        'ListWorkflowExecutions',
        'CountWorkflowExecutions',
        'PollWorkflowTaskQueue',
        'RespondWorkflowTaskCompleted',
        'RespondWorkflowTaskFailed',
        'RespondQueryTaskCompleted',
        'ResetStickyTaskQueue',
        'ResetWorkflowExecution',
        'PauseActivity',
        'UnpauseActivity',
        'ResetActivity',
        'UpdateActivityOptions',
        'PauseWorkflowExecution',
        'UnpauseWorkflowExecution',
        'UpdateWorkflowExecutionOptions',
        'ListOpenWorkflowExecutions',
        'ListClosedWorkflowExecutions',
        'ScanWorkflowExecutions',
        'GetSearchAttributes',
      ],
    },
    { service: OPERATOR_SERVICE, methods: ['AddSearchAttributes', 'RemoveSearchAttributes', 'ListSearchAttributes'] },
  ],
  module: (config) => workflowModule(config),
});

export default workflowPlugin;
