/**
 * @module @chasm/matching
 * Task queues: sync match, a durable fenced backlog, long polls, sticky queues, priority and
 * stride-scheduled fairness, rate limits, worker heartbeats, and the matching gRPC methods.
 * Features call `MatchingService.addTask` / `poll` through the `MATCHING` DI token. Also home of
 * what features share one level above the framework: the activity-task router and its contract
 * (features bind an `ActivityTaskHandler`), and the proto time, payload and search-attribute
 * conversions.
 */
export type {
  AcceptResult,
  AddTaskOutcome,
  AddTaskRequest,
  AddTaskResult,
  PolledTask,
  PollerClient,
  PollerReservation,
  PollRequest,
  ReservePollerRequest,
  TaskPriority,
  TaskQueueRef,
  TaskType,
} from './types.js';
export {
  MATCHING,
  type MatchingService,
  type PollerInfo,
  type RateLimitSource,
  type TaskQueueDescription,
  type TaskQueueId,
  type TaskQueueStats,
} from './matching-service.js';
export { LocalMatchingService } from './local-matching-service.js';
export { effectivePriority, type EffectivePriority } from './priority.js';
export { DEFAULT_MATCHING_OPTIONS, type MatchingOptions } from './matching-options.js';
export { matchingConfigSchema } from './config.js';
export { MatchingStoppedError, StickyWorkerUnavailableError, TaskQueueOwnershipLostError } from './errors.js';
export type { TaskQueueConfig, TaskQueueConfigUpdate, RateLimitSetting, RateLimitUpdate } from './queue/task-queue-config.js';
export type { WorkerHeartbeatRecord, WorkerListQuery } from './workers/worker-registry.js';
export { matchingMigrations } from './backlog/migrations.js';
export { matchingRpcHandlers } from './grpc/matching-handlers.js';
// For the poll RPCs other packages serve (PollNexusTaskQueue carries worker heartbeats too).
export { heartbeatFromProto } from './grpc/proto-convert.js';
export { matchingModule } from './module.js';
// The activity-task contract shared by every feature whose executions have activity tasks.
export {
  ACTIVITY_TASK_HANDLERS,
  type ActivityHeartbeatResult,
  type ActivityPoller,
  type ActivityTaskHandler,
} from './activity-tasks/activity-task-handler.js';
export {
  attemptMarker,
  decodeActivityTaskPayload,
  decodeActivityToken,
  decodeAnyActivityToken,
  encodeActivityTaskPayload,
  encodeActivityToken,
  type ActivityToken,
  type ActivityTokenForm,
  type ActivityTokenIds,
  type DecodedActivityToken,
} from './activity-tasks/activity-token.js';
// Temporal's own task token encoding (token.v1.Task), for tools and tests that build tokens.
export { decodeTemporalTaskToken, encodeTemporalTaskToken, type TemporalTaskToken } from './activity-tasks/temporal-task-token.js';
export { activityTaskRouterHandlers } from './activity-tasks/activity-task-router.js';
// Proto conversions shared by every package that speaks the Temporal API.
export { temporalProto, type google, type temporal } from './proto/temporal-proto.js';
export {
  durationToMs,
  long,
  longToNumber,
  msToDuration,
  msToTimestamp,
  optionalDurationToMs,
  optionalTimestampToDate,
  optionalTimestampToMs,
  type Duration,
  type Int64,
  type ProtoTime,
  type Timestamp,
} from './proto/time.js';
export {
  decodeFailure,
  decodeHeader,
  decodeMessage,
  decodePayloads,
  encodeFailure,
  encodeHeader,
  encodeMessage,
  encodePayloads,
  jsonPayload,
  jsonPayloads,
  type MessageType,
  type Payload,
  type Payloads,
} from './proto/payloads.js';
export {
  searchAttributeTypeName,
  searchAttributeTypeNames,
  searchAttributeValue,
  searchAttributeValues,
} from './proto/search-attributes.js';
export { retryPolicyToProto, type RetryPolicyMs } from './proto/retry-policy.js';
// The default export is what a server loads when a config names this package by name or path.
export { matchingPlugin, matchingPlugin as default } from './plugin.js';
