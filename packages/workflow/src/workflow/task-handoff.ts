import { randomUUID } from 'node:crypto';
import type { AnyComponent, ChasmEngine, ComponentRef, MutableContext } from '@chasm/core';
import type { MatchingService, PollerReservation, TaskPriority, TaskQueueRef } from '@chasm/matching';
import { HistoryWriter } from './history-writer.js';
import { startWorkflowTask, type ContinueAsNewThresholds } from './mutable-state.js';
import { encodeMatchingPayload } from './task-token.js';
import type { WorkflowComponent } from './workflow.js';

/**
 * Workflow-task hand-off at commit (ADR 0040). A change that schedules a workflow task (a start,
 * an activity completion) would otherwise commit it as scheduled, hand it to matching after the
 * commit, and a poller's accept hook would commit again to start it before the poll is answered:
 * two commits in a row on the workflow's critical path, and a dispatch-task row written and
 * deleted. Instead, when a poller is waiting on the queue the task will go to, it is reserved
 * first, the task is scheduled *and started* for that poller in the change's own commit, and the
 * poll is answered with it as soon as that commit is durable. Nothing is handed to a worker before
 * it is committed: if the poller is gone by then, the started task is recovered by its
 * start-to-close timeout, as a sync-matched task whose poll answer was lost is.
 */

/** What a task scheduled by a change now would be dispatched to, or undefined if none would be scheduled. */
export function nextWorkflowTaskQueue(wf: WorkflowComponent): TaskQueueRef | undefined {
  const s = wf.state;
  if (s.status !== 'running' || s.wft !== null || s.backoffUntil !== null || s.paused) return undefined;
  return s.sticky ? { name: s.sticky.name, kind: 'sticky', normalName: s.taskQueue } : { name: s.taskQueue, kind: 'normal' };
}

/** A workflow task started for a reserved poller, with what its poll answer needs. */
export interface HandedOffTask {
  readonly workflowId: string;
  readonly runId: string;
  readonly stamp: number;
  readonly response: NonNullable<ReturnType<typeof startWorkflowTask>>;
}

/**
 * In the transaction that scheduled it: starts the run's new workflow task for the reserved
 * poller, if the task is the one reserved for (same queue, not started, not speculative) and the
 * poller still waits. Its dispatch and schedule-to-start tasks then fail validation at commit and
 * are never written.
 */
export function startForReservedPoller(
  wf: WorkflowComponent,
  ctx: MutableContext,
  h: Handoff | undefined,
  suggest: ContinueAsNewThresholds,
): HandedOffTask | undefined {
  const t = wf.state.wft;
  if (!h || !t || t.startedEventId !== 0 || t.speculative || t.queueKind !== h.queue.kind || t.queueName !== h.queue.name) return undefined;
  if (!h.reservation.alive) return undefined;
  const w = new HistoryWriter(wf, ctx);
  const response = startWorkflowTask(w, t.stamp, t.queueKind, h.reservation.identity, randomUUID(), suggest);
  w.commit();
  return response ? { workflowId: wf.state.workflowId, runId: wf.state.runId, stamp: t.stamp, response } : undefined;
}

/** A poller reserved for a run's next workflow task. */
export interface Handoff {
  readonly queue: TaskQueueRef;
  readonly reservation: PollerReservation;
}

/** Reserves a poller waiting on `queue` (undefined: none waits, or matching said no). */
export async function reserveFor(
  matching: MatchingService,
  namespaceId: string,
  queue: TaskQueueRef | undefined,
  priority: TaskPriority | undefined,
): Promise<Handoff | undefined> {
  if (!queue) return undefined;
  const reservation = await matching
    .reservePoller({ namespaceId, taskQueue: queue, type: 'workflow', ...(priority ? { priority } : {}) })
    // Only a shortcut: without it the task goes through matching as usual.
    .catch(() => undefined);
  return reservation ? { queue, reservation } : undefined;
}

/**
 * After the commit: answers the reserved poll with the started task, or gives the poller back
 * when the commit did not start one (or failed: `started` undefined).
 */
export function completeHandoff(h: Handoff | undefined, started: HandedOffTask | undefined): void {
  if (!h) return;
  if (!started) {
    h.reservation.release();
    return;
  }
  const payload = encodeMatchingPayload({ k: 'w', wf: started.workflowId, run: started.runId, stamp: started.stamp });
  h.reservation.deliver({ payload, prepared: started.response });
}

/**
 * `engine.update` of a component of a workflow run whose change may schedule a workflow task
 * (an activity completion): peeks at the run's next task queue, reserves a poller waiting there,
 * runs the change and starts the task for that poller in the same commit, then answers the poll.
 */
export async function updateWithHandoff<T>(
  engine: ChasmEngine,
  matching: MatchingService,
  target: ComponentRef,
  workflowOf: (c: AnyComponent) => WorkflowComponent,
  fn: (c: AnyComponent, ctx: MutableContext) => T,
  suggest: ContinueAsNewThresholds,
): Promise<T> {
  const peek = await engine
    .read(target, (c) => {
      const wf = workflowOf(c);
      return { queue: nextWorkflowTaskQueue(wf), priority: wf.state.priority ?? undefined };
    })
    .catch(() => undefined);
  const h = peek ? await reserveFor(matching, target.namespaceId, peek.queue, peek.priority) : undefined;
  let started: HandedOffTask | undefined;
  try {
    const r = await engine.update(target, (c, ctx) => {
      started = undefined; // a transaction retried after a conflict starts over
      const out = fn(c, ctx);
      started = startForReservedPoller(workflowOf(c), ctx, h, suggest);
      return out;
    });
    return r.output;
  } catch (e) {
    started = undefined;
    throw e;
  } finally {
    completeHandoff(h, started);
  }
}
