import type { MutableContext } from '@chasm/core';
import type { WorkflowConfig } from '../config.js';
import { HistoryWriter } from './history-writer.js';
import { lateStartedEvent, lazyStartedEvents, startWorkflowTask } from './mutable-state.js';
import { WorkflowTaskTimeout } from './workflow.tasks.js';
import type { WorkflowComponent } from './workflow.js';

/**
 * Lazy start of stored sticky workflow tasks (ADR 0063). A workflow task that waited in a sticky
 * queue's backlog (no poller was waiting when it was scheduled, so ADR 0040's hand-off did not
 * apply) used to cost a commit when a poller took it: the Started event and the start-to-close
 * timer, written before the poll was answered, and then a second commit for its completion.
 * Here the poll's accept hook starts it in a speculative engine update instead (in memory, as a
 * speculative task is started, ADR 0034): the poll is answered with the Started event the task
 * will have, and the first commit of the run (its completion, nearly always) writes Started with
 * everything else.
 *
 * Only sticky tasks, because a sticky task's schedule-to-start timer was stored when it was
 * scheduled and makes the start durable without anything new:
 * - Lost start (kill -9, or the run left the cache): the stored task is still scheduled, not
 *   started; the timer fires, times it out and reschedules it on the normal queue, as for a
 *   sticky worker that went away. A completion with the lost start's token is refused as stale.
 * - Slow worker: the timer fires while the start is held (every committing transaction first
 *   settles it, `settleLazyStart`), so the timer's transaction writes Started and the
 *   start-to-close timer, from the time the task really started; the schedule-to-start timer is
 *   no longer valid and is dropped. Because the sticky timeout is at most the task's timeout
 *   (`canStartLazily`), that write is always before the start-to-close deadline.
 * A normal-queue task has no such timer (Temporal has no schedule-to-start timeout there), so it
 * is still started with a commit.
 */

/** Whether the stored task `stamp`, polled from its sticky queue, may be started in memory. */
function canStartLazily(wf: WorkflowComponent, stamp: number, config: Pick<WorkflowConfig, 'lazyStickyStart'>): boolean {
  const s = wf.state;
  const t = s.wft;
  return (
    config.lazyStickyStart &&
    s.status === 'running' &&
    t !== null &&
    t.stamp === stamp &&
    t.scheduledEventId > 0 &&
    t.startedEventId === 0 &&
    !t.speculative &&
    !t.transient &&
    t.queueKind === 'sticky' &&
    s.sticky !== null &&
    s.sticky.name === t.queueName &&
    s.wftTimeoutMs >= s.sticky.timeoutMs
  );
}

/**
 * Inside a speculative update (the poll's accept hook, for a poll of a sticky queue): starts the
 * stored sticky task in memory and returns the poll response, or undefined when it may not
 * (`canStartLazily`) or is stale.
 */
export function startLazily(
  wf: WorkflowComponent,
  ctx: MutableContext,
  stamp: number,
  identity: string,
  requestId: string,
  config: Pick<WorkflowConfig, 'lazyStickyStart' | 'suggestContinueAsNewEvents' | 'suggestContinueAsNewBytes'>,
): ReturnType<typeof startWorkflowTask> {
  if (!canStartLazily(wf, stamp, config)) return undefined;
  const t = wf.state.wft!;
  t.lazy = true;
  const response = startWorkflowTask(new HistoryWriter(wf, ctx), stamp, 'sticky', identity, requestId, config);
  if (!response) delete t.lazy;
  return response;
}

/**
 * Part of the root's `settleSpeculative` hook (first step of every committing transaction of the
 * run): a task started in memory gets its Started event (the one the worker was shown, same id)
 * and its start-to-close timer. False when the run holds no such task.
 */
export function settleLazyStart(wf: WorkflowComponent, ctx: MutableContext): boolean {
  const s = wf.state;
  const t = s.wft;
  if (!t?.lazy) return false;
  delete t.lazy;
  const w = new HistoryWriter(wf, ctx);
  const id = w.append(lazyStartedEvents.get(t) ?? lateStartedEvent(s, t, t.scheduledEventId));
  lazyStartedEvents.delete(t);
  // Every committing transaction settles first and a speculative one appends nothing, so the
  // next id is the one the worker was given; anything else is a bug that must not be written.
  if (id !== t.startedEventId) throw new Error(`lazily started workflow task: Started would be event ${id}, the worker was told ${t.startedEventId}`);
  ctx.addTask(wf, WorkflowTaskTimeout, { stamp: t.stamp, kind: 'startToClose' }, { at: new Date(t.startedTime + s.wftTimeoutMs) });
  w.commit();
  return true;
}
