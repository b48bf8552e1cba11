import type { Library } from '@chasm/core';
import { lib } from './library-builder.js';
import type { MatchingService } from '@chasm/matching';
import type { Logger } from 'pino';
import { Activity } from './activity/activity.js';
// Installs the root's settleSpeculative hook (ADR 0065).
import './activity/lazy-start.js';
import {
  HeartbeatTimeoutTask,
  ScheduleToCloseTimeoutTask,
  ScheduleToStartTimeoutTask,
  StartGuardTask,
  StartToCloseTimeoutTask,
  dispatchTaskType,
  encodeActivityTaskInfo,
  type ActivityDispatcher,
} from './activity/activity.tasks.js';
import { taskPriorityOf } from './grpc/attempt-handoff.js';
import type { ActivityMetrics } from './metrics.js';

export interface StandaloneActivityLibraryDeps {
  readonly matching: MatchingService;
  readonly logger?: Logger;
  readonly metrics?: ActivityMetrics;
}

/** Pushes an attempt to its task queue; the poll's accept hook records it as started. */
export function matchingDispatcher(deps: StandaloneActivityLibraryDeps): ActivityDispatcher {
  return async (_ctx, d) => {
    const r = await deps.matching.addTask({
      namespaceId: d.ref.namespaceId,
      taskQueue: { name: d.taskQueue, kind: 'normal' },
      type: 'activity',
      payload: encodeActivityTaskInfo(d),
      priority: taskPriorityOf(d.priority),
      ...(d.expiry !== undefined ? { scheduleToStartExpiry: new Date(d.expiry) } : {}),
    });
    deps.metrics?.dispatched.inc({ outcome: r.outcome });
    deps.logger?.debug({ activityId: d.ref.businessId, attempt: d.attempt, outcome: r.outcome }, 'activity task dispatched');
  };
}

/** The `activity` CHASM library: the standalone activity component and its tasks. */
export function createStandaloneActivityLibrary(deps: StandaloneActivityLibraryDeps): Library {
  return lib.build({
    components: [Activity],
    tasks: [
      dispatchTaskType(matchingDispatcher(deps)),
      ScheduleToStartTimeoutTask,
      ScheduleToCloseTimeoutTask,
      StartToCloseTimeoutTask,
      HeartbeatTimeoutTask,
      StartGuardTask,
    ],
  });
}
