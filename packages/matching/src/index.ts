/**
 * @module @chasm/matching
 * Task queues: sync match, a durable fenced backlog, long polls, sticky queues, priority and
 * stride-scheduled fairness, rate limits, worker heartbeats, and the matching gRPC methods.
 * Features call `MatchingService.addTask` / `poll` through the `MATCHING` DI token. Also home of
 * the proto time and payload conversions every package that speaks the Temporal API shares.
 */
export type {
  AcceptResult,
  AddTaskOutcome,
  AddTaskRequest,
  AddTaskResult,
  PolledTask,
  PollRequest,
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
export { DEFAULT_MATCHING_OPTIONS, type MatchingOptions } from './matching-options.js';
export { MatchingStoppedError, StickyWorkerUnavailableError, TaskQueueOwnershipLostError } from './errors.js';
export type { TaskQueueConfig, TaskQueueConfigUpdate, RateLimitSetting, RateLimitUpdate } from './queue/task-queue-config.js';
export type { WorkerHeartbeatRecord, WorkerListQuery } from './workers/worker-registry.js';
export { matchingMigrations } from './backlog/migrations.js';
export { matchingRpcHandlers } from './grpc/matching-handlers.js';
export { matchingModule } from './module.js';
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
