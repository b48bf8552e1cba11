/**
 * @module @chasm/matching
 * Task queues: sync match, a durable fenced backlog, long polls, sticky queues, priority and
 * stride-scheduled fairness, rate limits, worker heartbeats, and the matching gRPC methods.
 * Features call `MatchingService.addTask` / `poll` through the `MATCHING` DI token.
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
export { matchingConfigSchema } from './config.js';
export { MatchingStoppedError, StickyWorkerUnavailableError, TaskQueueOwnershipLostError } from './errors.js';
export type { TaskQueueConfig, TaskQueueConfigUpdate, RateLimitSetting, RateLimitUpdate } from './queue/task-queue-config.js';
export type { WorkerHeartbeatRecord, WorkerListQuery } from './workers/worker-registry.js';
export { matchingMigrations } from './backlog/migrations.js';
export { matchingRpcHandlers } from './grpc/matching-handlers.js';
export { matchingModule } from './module.js';
// The default export is what a server loads when a config names this package by name or path.
export { matchingPlugin, matchingPlugin as default } from './plugin.js';
