import { definePlugin, packageCoreRange, packageVersion, WORKFLOW_SERVICE } from '@chasm/core';
import { matchingConfigSchema } from './config.js';
import { matchingModule } from './module.js';

/**
 * The matching plugin: task queues for every feature, the task-queue and worker RPCs, and the
 * activity-task RPCs, which route each task to the feature that owns it.
 */
export const matchingPlugin = definePlugin({
  name: 'matching',
  version: packageVersion(import.meta.url),
  description: 'task queues: sync match, durable backlog, long polls, priority, fairness, workers',
  coreApi: packageCoreRange(import.meta.url),
  config: matchingConfigSchema,
  serves: [
    {
      service: WORKFLOW_SERVICE,
      methods: [
        'DescribeTaskQueue',
        'ListTaskQueuePartitions',
        'UpdateTaskQueueConfig',
        'RecordWorkerHeartbeat',
        'ShutdownWorker',
        'ListWorkers',
        'CountWorkers',
        'DescribeWorker',
        // The activity-task protocol: served for the features that bind an ActivityTaskHandler.
        'PollActivityTaskQueue',
        'RecordActivityTaskHeartbeat',
        'RecordActivityTaskHeartbeatById',
        'RespondActivityTaskCompleted',
        'RespondActivityTaskCompletedById',
        'RespondActivityTaskFailed',
        'RespondActivityTaskFailedById',
        'RespondActivityTaskCanceled',
        'RespondActivityTaskCanceledById',
      ],
    },
  ],
  module: (config) => matchingModule(config),
});

export default matchingPlugin;
