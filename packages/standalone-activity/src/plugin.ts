import { definePlugin, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { standaloneActivityConfigSchema } from './config.js';
import { standaloneActivityModule } from './module.js';

/** The standalone-activity plugin: activities as their own executions (`activity.activity`). */
export const standaloneActivityPlugin = definePlugin({
  name: 'standalone-activity',
  version: packageVersion(import.meta.url),
  description: 'Standalone Activity: activities started, polled and listed without a workflow',
  coreApi: packageCoreRange(import.meta.url),
  requires: ['matching'],
  config: standaloneActivityConfigSchema,
  serves: [
    {
      service: WORKFLOW_SERVICE,
      methods: [
        'StartActivityExecution',
        'DescribeActivityExecution',
        'PollActivityExecution',
        'ListActivityExecutions',
        'CountActivityExecutions',
        'RequestCancelActivityExecution',
        'TerminateActivityExecution',
        'DeleteActivityExecution',
        'PauseActivityExecution',
        'UnpauseActivityExecution',
        'ResetActivityExecution',
        'UpdateActivityExecutionOptions',
      ],
    },
  ],
  module: (config) => standaloneActivityModule(config),
});

export default standaloneActivityPlugin;
