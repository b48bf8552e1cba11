import { randomUUID } from 'node:crypto';
import type { Engine, MutableContext, UpdateResult } from '@chasm/core';
import { depsOf } from './deps.js';
import { HistoryWriter } from './history-writer.js';
import { startWorkflowTask, type ContinueAsNewThresholds } from './mutable-state.js';
import { armSpeculativeStartToClose, dispatchSpeculativeWorkflowTask, speculativeTaskQueue, timeOutStartedTask, type SpeculativeDispatch } from './speculative-task.js';
import { completeHandoff, reserveFor, type HandedOffTask, type Handoff } from './task-handoff.js';
import { Workflow, type WorkflowComponent } from './workflow.js';

/**
 * A speculative task handed to a waiting poller in the transaction that schedules it (ADR 0053,
 * ADR 0040's pattern applied to ADR 0034's speculative tasks).
 *
 * Without it, the change that schedules a speculative task (an update's admission) releases the
 * lock, offers the task to matching sync-only, matching hands it to a waiting poller whose accept
 * hook takes the run's lock again for a second speculative transaction that starts it, and only
 * then is the poll answered: two transactions, an offer through the queue and several event-loop
 * turns between the update's arrival and the worker's task. Here the poller waiting on the queue
 * the task will go to is reserved first; the change schedules the task *and starts it* for that
 * poller in its own speculative transaction, and the poll is answered with it right after.
 *
 * Nothing is answered that a commit would have to precede: a speculative task is in memory by
 * design (ADR 0034) whether it is started by the poll's accept hook or here, and both answer the
 * poll only after the transaction that started it returned. If the poller left meanwhile, the
 * started task is recovered by its in-memory start-to-close timer, as one whose poll answer was
 * lost after the accept hook is.
 */

/** The run's update, given the workflow (a root target: by workflow id, and run id or the current run). */
export interface SpeculativeTarget {
  readonly namespaceId: string;
  readonly workflowId: string;
  /** '' for the current run. */
  readonly runId: string;
}

/**
 * `engine.update(target, fn, { speculative: true })` where `fn` may schedule a speculative
 * workflow task (returned by `dispatchOf`): reserves the poller waiting where that task would go,
 * starts the task for it in the same transaction and answers its poll; without a poller (or when
 * `fn` scheduled none) the task is offered to matching as before. The caller does no dispatching.
 */
export async function speculativeUpdateWithHandoff<T>(
  engine: Engine,
  t: SpeculativeTarget,
  fn: (wf: WorkflowComponent, ctx: MutableContext) => T,
  dispatchOf: (out: T) => SpeculativeDispatch | undefined,
): Promise<UpdateResult<T>> {
  const deps = depsOf(engine);
  const target = { type: Workflow, namespaceId: t.namespaceId, businessId: t.workflowId, ...(t.runId ? { runId: t.runId } : {}) };
  // Where a speculative task scheduled now would go (cached run, under its lock; no I/O).
  const peek = await engine
    .read(target, (wf) => {
      const queue = speculativeTaskQueue(wf);
      return queue ? { queue, priority: wf.state.priority ?? undefined } : undefined;
    })
    .catch(() => undefined);
  const h = peek ? await reserveFor(deps.matching, t.namespaceId, peek.queue, peek.priority) : undefined;
  let started: (HandedOffTask & { readonly timeoutMs: number }) | undefined;
  let r: UpdateResult<T>;
  try {
    r = await engine.update(
      target,
      (wf, ctx) => {
        started = undefined;
        const out = fn(wf, ctx);
        started = startForReservedPoller(wf, ctx, h, dispatchOf(out), deps.config);
        return out;
      },
      { speculative: true },
    );
  } catch (e) {
    completeHandoff(h, undefined);
    throw e;
  }
  const d = dispatchOf(r.output);
  if (started && d) {
    armSpeculativeStartToClose(engine, d, started.timeoutMs, timeOutStartedTask);
    deps.metrics?.speculativeTasks.inc({ outcome: 'handed_off' });
    completeHandoff(h, started);
  } else {
    completeHandoff(h, undefined);
    // Offered to a waiting poller once the lock is free (the poller's start takes it).
    if (d) void dispatchSpeculativeWorkflowTask(engine, d);
  }
  return r;
}

/**
 * Inside the speculative transaction: starts the speculative task `d` just scheduled for the
 * reserved poller, if it is the queue reserved on and the poller still waits. Exactly what the
 * poll's accept hook does with a speculative task (its timer armed by the caller).
 */
function startForReservedPoller(
  wf: WorkflowComponent,
  ctx: MutableContext,
  h: Handoff | undefined,
  d: SpeculativeDispatch | undefined,
  suggest: ContinueAsNewThresholds,
): (HandedOffTask & { readonly timeoutMs: number }) | undefined {
  const t = wf.state.wft;
  if (!h || !d || !t?.speculative || t.stamp !== d.stamp || t.startedEventId !== 0) return undefined;
  if (h.queue.kind !== d.kind || h.queue.name !== d.queue || !h.reservation.alive) return undefined;
  const w = new HistoryWriter(wf, ctx);
  const response = startWorkflowTask(w, d.stamp, d.kind, h.reservation.identity, randomUUID(), suggest);
  w.commit();
  return response ? { workflowId: d.workflowId, runId: d.runId, stamp: d.stamp, response, timeoutMs: wf.state.wftTimeoutMs } : undefined;
}
