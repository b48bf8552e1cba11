/**
 * @module @chasm/standalone-activity
 * Standalone Activity as a CHASM root component (`activity.activity`): start, describe, poll,
 * list/count, cancel, terminate, delete, pause/unpause/reset/update-options, and the worker side
 * (its activity-task handler: PollActivityTaskQueue, heartbeats and responses are served by the
 * activity-task router of @chasm/matching, with ref-carrying tokens).
 */
export { Activity, ActivityStatus, publicStatusName, type ActivityComponent, type ActivityState } from './activity/activity.js';
export { normalizeOptions, normalizeRetryPolicy, normalizeTimeouts, type ActivityOptionsState, type RetryPolicyState } from './activity/activity-options.js';
export { ActivityTransitions } from './activity/activity.transitions.js';
export { checkTaskToken, decodeTaskToken, encodeTaskToken, type ActivityTaskToken } from './activity/activity-token.js';
export { decodeActivityTaskInfo, type ActivityTaskInfo } from './activity/activity.tasks.js';
export { DEFAULT_STANDALONE_ACTIVITY_CONFIG, standaloneActivityConfigSchema, type StandaloneActivityConfig } from './config.js';
export { ActivityExecutionAlreadyStartedError, ActivityNotFoundError, OperatorCommandsDisabledError } from './errors.js';
export { activityRpcHandlers, type ActivityServiceDeps } from './grpc/activity-service.js';
export { ACTIVITY_QUERY_LANGUAGE, EXECUTION_STATUS_NAMES } from './grpc/activity-query.js';
export { standaloneActivityTaskHandler, type StandaloneActivityTaskHandlerDeps } from './grpc/activity-task-handler.js';
export { createStandaloneActivityLibrary, type StandaloneActivityLibraryDeps } from './library.js';
export { ActivityMetrics } from './metrics.js';
export { STANDALONE_ACTIVITY_CONFIG, standaloneActivityModule } from './module.js';
// The default export is what a server loads when a config names this package by name or path.
export { standaloneActivityPlugin, standaloneActivityPlugin as default } from './plugin.js';
