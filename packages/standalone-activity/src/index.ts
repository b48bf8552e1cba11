/**
 * @module @chasm/standalone-activity
 * Standalone Activity as a CHASM root component (`activity.activity`): start, describe, poll,
 * list/count, cancel, terminate, delete, pause/unpause/reset/update-options, and the worker side
 * (PollActivityTaskQueue through matching, heartbeats and responses with ref-carrying tokens).
 */
export { Activity, ActivityStatus, publicStatusName, type ActivityComponent, type ActivityState } from './activity/activity.js';
export { normalizeOptions, normalizeRetryPolicy, normalizeTimeouts, type ActivityOptionsState, type RetryPolicyState } from './activity/activity-options.js';
export { ActivityTransitions } from './activity/activity.transitions.js';
export { decodeTaskToken, encodeTaskToken, isStandaloneActivityToken, type ActivityTaskToken } from './activity/activity-token.js';
export { decodeActivityTaskInfo, type ActivityTaskInfo } from './activity/activity.tasks.js';
export { DEFAULT_STANDALONE_ACTIVITY_CONFIG, type StandaloneActivityConfig } from './config.js';
export { ActivityExecutionAlreadyStartedError, ActivityNotFoundError, OperatorCommandsDisabledError } from './errors.js';
export { activityRpcHandlers, type ActivityServiceDeps } from './grpc/activity-service.js';
export { ACTIVITY_QUERY_LANGUAGE, EXECUTION_STATUS_NAMES } from './grpc/activity-query.js';
export { ACTIVITY_TASK_HANDLERS, ACTIVITY_TASK_ROUTER_OWNER, type ActivityTaskHandler } from './grpc/activity-task-router.js';
export { createStandaloneActivityLibrary, type StandaloneActivityLibraryDeps } from './library.js';
export { ActivityMetrics } from './metrics.js';
export { STANDALONE_ACTIVITY_CONFIG, standaloneActivityModule } from './module.js';
