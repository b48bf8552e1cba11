import type { Engine, MutableContext } from '@chasm/core';
import { durationToMs, StickyWorkerUnavailableError, type TaskPriority, type TaskQueueRef } from '@chasm/matching';
import type { temporal } from '../proto.js';
import { workflowExtensions, type CompletingTask } from './extensions.js';
import { depsOf } from './deps.js';
import { HistoryWriter } from './history-writer.js';
import { settleLazyStart } from './lazy-start.js';
import { lateScheduledEvent, lateStartedEvent, timeoutWorkflowTask } from './mutable-state.js';
import { nextWorkflowTaskQueue } from './task-handoff.js';
import { encodeMatchingPayload, type WorkflowTaskToken } from './task-token.js';
import { DispatchWorkflowTask, dispatchOf, WorkflowTaskTimeout } from './workflow.tasks.js';
import { Workflow, workflowHooks, type WorkflowComponent } from './workflow.js';

/**
 * Speculative workflow tasks (Temporal's WORKFLOW_TASK_TYPE_SPECULATIVE, ADR 0034): a workflow
 * task that exists only in the cached run, made by a speculative engine update, so that an
 * update on an idle workflow costs one commit (the completion) and a rejected one costs none.
 *
 * - Scheduled in memory, offered to matching sync-only (a waiting poller, nothing stored).
 * - Started in memory: its Scheduled/Started events are synthesised into the poll response with
 *   the ids they get if written, exactly like a transient task's.
 * - Any commit of the run first settles it (the root's `settleSpeculative` hook): it becomes a
 *   normal task, its events and timer written with that commit. That is how a completion writes
 *   Scheduled/Started/Completed and the update events in one commit, and how a signal arriving
 *   while it is out turns it normal, as Temporal's convertSpeculativeWorkflowTaskToNormal does.
 * - A completion with no commands and only update rejections discards it: nothing is written and
 *   the worker is told to roll back (`reset_history_event_id`).
 * - Lost with the process or the cache entry: nothing durable refers to it, and the updates it
 *   carried were not durable either (their callers retry).
 */

/** What the caller of a speculative update pushes to matching once the lock is released. */
export interface SpeculativeDispatch {
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly stamp: number;
  readonly queue: string;
  readonly kind: 'normal' | 'sticky';
  readonly normalQueue: string;
  readonly priority?: TaskPriority;
}

/**
 * The queue a speculative task scheduled now would be offered on (the sticky queue when the run
 * is sticky), or undefined when the run is not idle and none would be scheduled.
 */
export function speculativeTaskQueue(wf: WorkflowComponent): TaskQueueRef | undefined {
  // A normal task's queue (ADR 0040), unless buffered events or a failing task need a written one.
  return wf.state.buffered.length > 0 || wf.state.wftAttempt > 1 ? undefined : nextWorkflowTaskQueue(wf);
}

/**
 * Inside a speculative update: schedules a speculative workflow task when the run is idle (no
 * task scheduled or started, not paused, no backoff). Undefined when it is not idle: a pending
 * task delivers what the caller wants delivered, and a paused run schedules on unpause.
 */
export function scheduleSpeculativeWorkflowTask(wf: WorkflowComponent, ctx: MutableContext): SpeculativeDispatch | undefined {
  const s = wf.state;
  const q = speculativeTaskQueue(wf);
  if (!q) return undefined;
  const queue = q.name;
  const kind = q.kind;
  // Unique across restarts: a task lost with the process had the next stamp already, and a
  // worker still holding its token must not complete the task that replaces it (Temporal puts
  // the started time in the token for the same reason).
  const stamp = Math.max(s.wftStamp + 1, ctx.now.getTime());
  s.wftStamp = stamp;
  s.wft = {
    scheduledEventId: 0,
    startedEventId: 0,
    attempt: s.wftAttempt,
    transient: false,
    speculative: true,
    queueName: queue,
    queueKind: kind,
    scheduledTime: ctx.now.getTime(),
    startedTime: 0,
    identity: '',
    requestId: '',
    stamp,
  };
  return { namespaceId: s.namespaceId, workflowId: s.workflowId, runId: s.runId, stamp, queue, kind, normalQueue: s.taskQueue, ...(s.priority ? { priority: s.priority } : {}) };
}

/**
 * The Workflow root's `settleSpeculative` hook: a speculative task becomes a normal one at the
 * start of a committing transaction. Not started: its Scheduled event, dispatch task (and sticky
 * schedule-to-start timer) are written. Started: the Scheduled and Started events the worker was
 * shown (same ids, times and attributes) and its start-to-close timer.
 */
export function settleSpeculativeTask(wf: WorkflowComponent, ctx: MutableContext): void {
  // A stored task started in memory (ADR 0063) is settled by the same hook.
  if (settleLazyStart(wf, ctx)) return;
  const s = wf.state;
  const t = s.wft;
  if (!t?.speculative) return;
  delete t.speculative;
  const w = new HistoryWriter(wf, ctx);
  const scheduledEventId = w.append(lateScheduledEvent(s, t));
  if (t.startedEventId === 0) {
    t.scheduledEventId = scheduledEventId;
    ctx.addTask(wf, DispatchWorkflowTask, dispatchOf(s));
    if (t.queueKind === 'sticky' && s.sticky) {
      ctx.addTask(wf, WorkflowTaskTimeout, { stamp: t.stamp, kind: 'scheduleToStart' }, { at: new Date(t.scheduledTime + s.sticky.timeoutMs) });
    }
  } else {
    w.append(lateStartedEvent(s, t, scheduledEventId));
    ctx.addTask(wf, WorkflowTaskTimeout, { stamp: t.stamp, kind: 'startToClose' }, { at: new Date(t.startedTime + s.wftTimeoutMs) });
  }
  w.commit();
}

/**
 * Offers a speculative task to a waiting poller (sync match only, nothing stored). When no
 * poller takes it in time (Temporal's 5 s SpeculativeWorkflowTaskScheduleToStartTimeout) the
 * run is committed, which settles the task into a normal, durable and dispatched one. Never
 * throws: a failure leaves the task to the same conversion.
 */
export async function dispatchSpeculativeWorkflowTask(engine: Engine, d: SpeculativeDispatch): Promise<void> {
  const deps = depsOf(engine);
  const until = new Date(Date.now() + deps.config.speculativeScheduleToStartMs);
  const payload = encodeMatchingPayload({ k: 'w', wf: d.workflowId, run: d.runId, stamp: d.stamp, sp: 1 });
  let outcome: string | undefined;
  try {
    if (d.kind === 'sticky') {
      try {
        outcome = (
          await deps.matching.addTask({
            namespaceId: d.namespaceId,
            taskQueue: { name: d.queue, kind: 'sticky', normalName: d.normalQueue },
            type: 'workflow',
            payload,
            syncOnlyUntil: until,
            ...(d.priority ? { priority: d.priority } : {}),
          })
        ).outcome;
      } catch (e) {
        if (!(e instanceof StickyWorkerUnavailableError)) throw e;
      }
    }
    outcome ??= (
      await deps.matching.addTask({ namespaceId: d.namespaceId, taskQueue: { name: d.normalQueue, kind: 'normal' }, type: 'workflow', payload, syncOnlyUntil: until, ...(d.priority ? { priority: d.priority } : {}) })
    ).outcome;
  } catch (e) {
    deps.logger?.warn({ workflowId: d.workflowId, runId: d.runId, err: (e as Error).message }, 'speculative workflow task not offered: converted to a normal one');
  }
  if (outcome === 'sync-matched') {
    deps.metrics?.speculativeTasks.inc({ outcome: 'matched' });
    return;
  }
  deps.metrics?.speculativeTasks.inc({ outcome: 'converted' });
  // Any commit settles the speculative task (if it is still there) into a normal one.
  try {
    await engine.update({ type: Workflow, namespaceId: d.namespaceId, businessId: d.workflowId, runId: d.runId }, () => undefined);
  } catch (e) {
    deps.logger?.warn({ workflowId: d.workflowId, runId: d.runId, err: (e as Error).message }, 'speculative workflow task could not be converted');
  }
}

/**
 * The in-memory start-to-close timer of a started speculative task (it has no durable timer
 * until it is settled). When it fires and the task is still out and speculative, the run is
 * committed, which settles the task, and `onTimeout` times it out like any other task
 * (WorkflowTaskTimedOut, then a transient retry). A settled task has its durable timer instead.
 */
export function armSpeculativeStartToClose(
  engine: Engine,
  d: { readonly namespaceId: string; readonly workflowId: string; readonly runId: string; readonly stamp: number },
  timeoutMs: number,
  onTimeout: (wf: WorkflowComponent, ctx: MutableContext) => void,
): void {
  const target = { type: Workflow, namespaceId: d.namespaceId, businessId: d.workflowId, runId: d.runId };
  const current = (wf: WorkflowComponent): boolean => {
    const t = wf.state.wft;
    return wf.state.status === 'running' && t !== null && t.stamp === d.stamp && t.startedEventId > 0;
  };
  const timer = setTimeout(() => {
    void (async () => {
      if (!(await engine.read(target, (wf) => current(wf) && wf.state.wft?.speculative === true))) return;
      await engine.update(target, (wf, ctx) => {
        if (current(wf)) onTimeout(wf, ctx);
      });
    })().catch(() => undefined);
  }, timeoutMs);
  timer.unref();
}

/** `armSpeculativeStartToClose`'s usual `onTimeout`: the task times out like any other (WorkflowTaskTimedOut, then a retry). */
export function timeOutStartedTask(wf: WorkflowComponent, ctx: MutableContext): void {
  const w = new HistoryWriter(wf, ctx);
  timeoutWorkflowTask(w, 'startToClose');
  w.commit();
}

workflowHooks.settleSpeculative = settleSpeculativeTask;

export type DiscardOutcome =
  | { readonly discarded: false }
  | { readonly discarded: true; readonly resetHistoryEventId: number; readonly next: SpeculativeDispatch | undefined };

/**
 * Inside a speculative update, for RespondWorkflowTaskCompleted: Temporal's
 * skipWorkflowTaskCompletedEvent. A speculative task completed with no commands, not as a
 * heartbeat, and with only messages that write nothing (update rejections) leaves no trace: the
 * messages are applied in memory, the task is dropped, and the worker rolls back to the last
 * completed task (`reset_history_event_id`). Updates admitted meanwhile get a new speculative
 * task (`next`, for the caller to dispatch). `{ discarded: false }` changes nothing: the caller
 * completes the task the ordinary way (which settles it first).
 */
export function discardSpeculativeWorkflowTask(
  wf: WorkflowComponent,
  ctx: MutableContext,
  token: WorkflowTaskToken,
  req: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest,
): DiscardOutcome {
  const s = wf.state;
  const t = s.wft;
  if (s.status !== 'running' || !t?.speculative || t.stamp !== token.stamp || t.startedEventId !== token.startedEventId) return { discarded: false };
  if ((req.commands ?? []).length > 0 || req.forceCreateNewWorkflowTask) return { discarded: false };
  const extensions = [...workflowExtensions()];
  const messages = req.messages ?? [];
  if (!messages.every((m) => extensions.some((x) => x.discardable?.(m)))) return { discarded: false };
  // Events after the last completed task's Started (its Completed and command events) were shipped
  // with the task; an SDK that cannot take them again must see this task written (Temporal's rule).
  const shippedOthers = s.nextEventId > s.lastCompletedStartedEventId + 2;
  if (shippedOthers && !req.capabilities?.discardSpeculativeWorkflowTaskWithEvents) return { discarded: false };
  const w = new HistoryWriter(wf, ctx);
  const completing: CompletingTask = {
    stamp: t.stamp,
    startedEventId: t.startedEventId,
    completedEventId: 0,
    identity: req.identity ?? '',
    heartbeat: false,
  };
  for (const m of messages) for (const x of extensions) if (x.applyMessage?.(w, m, completing)) break;
  for (const x of extensions) x.afterCompletion?.(w, completing);
  if (w.events.length > 0) throw new Error('a discarded speculative workflow task appended events');
  s.wft = null;
  // The stickiness the worker asked for holds in memory; the next commit writes it.
  const sticky = req.stickyAttributes?.workerTaskQueue?.name;
  s.sticky = sticky ? { name: sticky, timeoutMs: durationToMs(req.stickyAttributes?.scheduleToStartTimeout, 'sticky_attributes.schedule_to_start_timeout') || 10_000 } : null;
  const next = extensions.some((x) => x.needsWorkflowTask?.(wf)) ? scheduleSpeculativeWorkflowTask(wf, ctx) : undefined;
  return { discarded: true, resetHistoryEventId: s.lastCompletedStartedEventId, next };
}

/**
 * Failing a speculative task whose in-memory state is gone (a completion rolled back by a bad
 * command drops the cached run, and with it the task): when nothing was written since, the task
 * the token names is put back as it was started, so that it is settled and failed like any other
 * (WorkflowTaskFailed visible to the author, then a transient retry), as Temporal fails a
 * speculative task. Returns false when the token names something else (the caller answers NOT_FOUND).
 */
export function restoreLostSpeculativeTask(wf: WorkflowComponent, token: WorkflowTaskToken, identity: string, now: number): boolean {
  const s = wf.state;
  if (s.status !== 'running' || s.wft !== null || token.stamp <= s.wftStamp || token.attempt !== s.wftAttempt) return false;
  if (token.scheduledEventId !== s.nextEventId || token.startedEventId !== token.scheduledEventId + 1) return false;
  s.wftStamp = token.stamp;
  s.wft = {
    scheduledEventId: token.scheduledEventId,
    startedEventId: token.startedEventId,
    attempt: token.attempt,
    transient: false,
    speculative: true,
    queueName: s.taskQueue,
    queueKind: 'normal',
    scheduledTime: now,
    startedTime: token.startedTime ?? now,
    identity,
    requestId: '',
    stamp: token.stamp,
  };
  return true;
}
