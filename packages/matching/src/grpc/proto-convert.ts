import { InvalidArgumentError } from '@chasm/core';
import type { temporal } from '@temporalio/proto';
import { long, msToDuration, msToTimestamp, optionalTimestampToDate } from '../proto/time.js';
import type { TaskQueueStats } from '../matching-service.js';
import type { RateLimitSetting, TaskQueueConfig } from '../queue/task-queue-config.js';
import type { TaskType } from '../types.js';
import type { WorkerHeartbeatRecord } from '../workers/worker-registry.js';

// Proto enum numbers (temporal.api.enums.v1), kept here so handlers need no runtime proto import.
export const TaskQueueTypeEnum = { UNSPECIFIED: 0, WORKFLOW: 1, ACTIVITY: 2, NEXUS: 3 } as const;
export const TaskQueueKindEnum = { UNSPECIFIED: 0, NORMAL: 1, STICKY: 2 } as const;
const RATE_LIMIT_SOURCE = { api: 1, worker: 2, system: 3 } as const;
const WORKER_STATUS = ['UNSPECIFIED', 'RUNNING', 'SHUTTING_DOWN', 'SHUTDOWN'] as const;

export function taskTypeFromProto(t: number | null | undefined, field = 'task_queue_type'): TaskType {
  switch (t ?? 0) {
    case TaskQueueTypeEnum.UNSPECIFIED:
    case TaskQueueTypeEnum.WORKFLOW:
      return 'workflow';
    case TaskQueueTypeEnum.ACTIVITY:
      return 'activity';
    case TaskQueueTypeEnum.NEXUS:
      return 'nexus';
    default:
      throw new InvalidArgumentError(field, `unknown task queue type ${String(t)}`);
  }
}

export function statsToProto(s: TaskQueueStats): temporal.api.taskqueue.v1.ITaskQueueStats {
  return {
    approximateBacklogCount: long(s.approximateBacklogCount),
    approximateBacklogAge: msToDuration(s.approximateBacklogAgeMs),
    tasksAddRate: s.tasksAddRate,
    tasksDispatchRate: s.tasksDispatchRate,
    rateLimitingActive: s.rateLimitingActive,
  };
}

function rateLimitToProto(r: RateLimitSetting | undefined): temporal.api.taskqueue.v1.IRateLimitConfig | null {
  if (!r) return null;
  return {
    rateLimit: { requestsPerSecond: r.requestsPerSecond },
    metadata: { reason: r.reason, updateIdentity: r.updateIdentity, updateTime: msToTimestamp(new Date(r.updateTime)) },
  };
}

export function configToProto(c: TaskQueueConfig): temporal.api.taskqueue.v1.ITaskQueueConfig {
  return {
    queueRateLimit: rateLimitToProto(c.queueRateLimit),
    fairnessKeysRateLimitDefault: rateLimitToProto(c.fairnessKeysRateLimitDefault),
    fairnessWeightOverrides: { ...c.fairnessWeightOverrides },
  };
}

export function rateLimitSourceToProto(s: 'api' | 'worker' | 'system'): number {
  return RATE_LIMIT_SOURCE[s];
}

export function heartbeatFromProto(hb: temporal.api.worker.v1.IWorkerHeartbeat, now: Date): WorkerHeartbeatRecord {
  const startTime = optionalTimestampToDate(hb.startTime, 'worker_heartbeat.start_time');
  const deploymentName = hb.deploymentVersion?.deploymentName;
  const buildId = hb.deploymentVersion?.buildId;
  return {
    workerInstanceKey: hb.workerInstanceKey ?? '',
    workerIdentity: hb.workerIdentity ?? '',
    hostName: hb.hostInfo?.hostName ?? '',
    taskQueue: hb.taskQueue ?? '',
    sdkName: hb.sdkName ?? '',
    sdkVersion: hb.sdkVersion ?? '',
    status: WORKER_STATUS[hb.status ?? 0] ?? 'UNSPECIFIED',
    ...(deploymentName ? { deploymentName } : {}),
    ...(buildId ? { buildId } : {}),
    ...(startTime ? { startTime } : {}),
    // The server's receive time: worker clocks may be skewed, and TTLs are ours.
    heartbeatTime: now,
    heartbeat: hb,
  };
}

export function workerListInfoToProto(r: WorkerHeartbeatRecord): temporal.api.worker.v1.IWorkerListInfo {
  const hb = r.heartbeat as temporal.api.worker.v1.IWorkerHeartbeat;
  return {
    workerInstanceKey: r.workerInstanceKey,
    workerIdentity: r.workerIdentity,
    taskQueue: r.taskQueue,
    deploymentVersion: hb.deploymentVersion ?? null,
    sdkName: r.sdkName,
    sdkVersion: r.sdkVersion,
    status: hb.status ?? 0,
    startTime: hb.startTime ?? null,
    hostName: r.hostName,
    workerGroupingKey: hb.hostInfo?.workerGroupingKey ?? '',
    processId: hb.hostInfo?.processId ?? '',
    plugins: hb.plugins ?? [],
  } as temporal.api.worker.v1.IWorkerListInfo;
}
