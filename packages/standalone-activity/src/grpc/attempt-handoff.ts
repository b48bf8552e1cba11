import type { ComponentRef, MutableContext } from '@chasm/core';
import type { MatchingService, PollerReservation, TaskPriority, temporal } from '@chasm/matching';
import type { ActivityComponent } from '../activity/activity.js';
import { recordStarted } from '../activity/activity-ops.js';
import type { PriorityState } from '../activity/activity-options.js';
import { encodeActivityTaskInfo, type ActivityTaskInfo } from '../activity/activity.tasks.js';
import { encodeTaskToken } from '../activity/activity-token.js';
import type { ActivityMetrics } from '../metrics.js';
import { pollResponse } from './activity-encode.js';

/**
 * Activity-task hand-off at commit (ADR 0042, the pattern of ADR 0040 for workflow tasks). A new
 * activity would otherwise commit as SCHEDULED with a dispatch task, the task processor would
 * push that to matching after the commit, and the poll's accept hook would commit again to record
 * the attempt as started: two commits (and a dispatch-task row written and deleted) before the
 * worker sees it. Instead, when a poller is waiting on the activity's queue, it is reserved
 * first, the attempt is scheduled *and started* for it in the start's own commit (the dispatch
 * and schedule-to-start tasks then fail validation and are never written), and the poll is
 * answered once that commit is durable. Nothing reaches a worker before it is committed: if the
 * poller left meanwhile, the started attempt is recovered by its start-to-close timer, as a
 * sync-matched attempt whose poll answer was lost is.
 */

/** Who polled, as the poll response and the started attempt record it. */
export interface AttemptPoller {
  /** The namespace as the request named it (poll responses repeat it). */
  readonly namespace: string;
  readonly identity: string;
  readonly sdkName: string;
  readonly sdkVersion: string;
}

/** Matching's scheduling hints from the activity's priority (unset fields left out). */
export function taskPriorityOf(p: PriorityState): TaskPriority {
  return {
    ...(p.priorityKey > 0 ? { priorityKey: p.priorityKey } : {}),
    ...(p.fairnessKey ? { fairnessKey: p.fairnessKey } : {}),
    ...(p.fairnessWeight > 0 ? { fairnessWeight: p.fairnessWeight } : {}),
  };
}

/**
 * Records the attempt with `stamp` as started by `poller` and builds the poll's answer; undefined
 * when that attempt is no longer startable. Shared by the poll's accept hook and the hand-off;
 * `lazy`: started in memory (ADR 0065), in a speculative update.
 */
export function startAttempt(
  a: ActivityComponent,
  ctx: MutableContext,
  ref: ComponentRef,
  stamp: number,
  poller: AttemptPoller,
  metrics: ActivityMetrics | undefined,
  lazy = false,
): temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined {
  const ev = { identity: poller.identity, sdkName: poller.sdkName, sdkVersion: poller.sdkVersion };
  if (recordStarted(a, ctx, stamp, ev, lazy) === 'stale') return undefined;
  const s = a.state;
  const token = encodeTaskToken({ ref, attempt: s.attempt, stamp: s.stamp, ids: { activityId: s.activityId, activityType: s.activityType } });
  metrics?.scheduleToStartLatency.observe(Math.max(0, ctx.now.getTime() - s.dispatchTime) / 1000);
  return pollResponse(a, ctx, poller.namespace, token) as temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;
}

/**
 * Reserves a poller waiting on the queue a new activity's first attempt goes to; undefined when
 * none waits, matching says no, or the attempt waits out a start delay.
 */
export async function reserveForFirstAttempt(
  matching: MatchingService | undefined,
  namespaceId: string,
  opts: { readonly taskQueue: string; readonly startDelayMs: number; readonly priority: PriorityState },
): Promise<PollerReservation | undefined> {
  if (!matching || opts.startDelayMs > 0) return undefined;
  return (
    matching
      .reservePoller({ namespaceId, taskQueue: { name: opts.taskQueue, kind: 'normal' }, type: 'activity', priority: taskPriorityOf(opts.priority) })
      // Only a shortcut: without it the attempt goes through matching as usual.
      .catch(() => undefined)
  );
}

/** An attempt started for a reserved poller, with what its poll answer needs. */
export interface HandedOffAttempt {
  readonly info: ActivityTaskInfo;
  readonly response: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;
}

/**
 * In the transaction that scheduled it: starts the activity's due attempt for the reserved
 * poller, if the poller still waits. Its dispatch and schedule-to-start tasks then fail
 * validation at commit and are never written.
 */
export function startForReservedPoller(
  a: ActivityComponent,
  ctx: MutableContext,
  r: PollerReservation | undefined,
  namespace: string,
  metrics: ActivityMetrics | undefined,
): HandedOffAttempt | undefined {
  const s = a.state;
  if (!r || s.status !== 'scheduled' || s.dispatchTime > ctx.now.getTime() || !r.alive) return undefined;
  const { taskId: _taskId, ...ref } = ctx.ref(a);
  const stamp = s.stamp;
  const poller = { namespace, identity: r.identity, sdkName: r.client?.name ?? '', sdkVersion: r.client?.version ?? '' };
  const response = startAttempt(a, ctx, ref, stamp, poller, metrics);
  return response ? { info: { ref, stamp, attempt: s.attempt }, response } : undefined;
}

/**
 * After the commit: answers the reserved poll with the started attempt, or gives the poller back
 * when the commit started none (or failed: `started` undefined).
 */
export function completeHandoff(r: PollerReservation | undefined, started: HandedOffAttempt | undefined, metrics: ActivityMetrics | undefined): void {
  if (!r) return;
  if (!started) {
    r.release();
    return;
  }
  const delivered = r.deliver({ payload: encodeActivityTaskInfo(started.info), prepared: started.response });
  metrics?.dispatched.inc({ outcome: delivered ? 'handed-off' : 'handed-off-lost' });
  if (delivered) metrics?.attemptsStarted.inc();
}
