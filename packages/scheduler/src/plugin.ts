import { definePlugin, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { schedulerConfigSchema } from './config.js';
import { schedulerModule } from './module.js';

/** The scheduler plugin: schedules as their own executions (`scheduler.scheduler`). */
export const schedulerPlugin = definePlugin({
  name: 'scheduler',
  version: packageVersion(import.meta.url),
  description: 'Schedules: a CHASM component tree (generator, invoker, backfillers) that starts workflows on a spec',
  coreApi: packageCoreRange(import.meta.url),
  // It starts workflows and reads the namespace's search attributes through the workflow package's RPCs.
  requires: ['matching', 'workflow'],
  config: schedulerConfigSchema,
  serves: [
    {
      service: WORKFLOW_SERVICE,
      methods: [
        'CreateSchedule',
        'DescribeSchedule',
        'UpdateSchedule',
        'PatchSchedule',
        'DeleteSchedule',
        'ListScheduleMatchingTimes',
        'ListSchedules',
        'CountSchedules',
      ],
    },
  ],
  module: (config) => schedulerModule(config),
});

export default schedulerPlugin;
