import type { MutableContext } from '@chasm/core';
import type { WorkflowConfig } from '../config.js';
import type { HistoryEvent } from '../proto.js';
import { HistoryWriter } from './history-writer.js';
import { lateStartedEvent, lazyStartedEvents, startWorkflowTask } from './mutable-state.js';
import type { WorkflowTaskToken } from './task-token.js';
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
 * A normal-queue task has no such timer (Temporal has no schedule-to-start timeout there); ADR
 * 0064 stores one with it, the start guard (`WorkflowTaskStartGuard`, at the task's start-to-close
 * timeout after it was scheduled), and starts it lazily only before the guard has run:
 * - Slow worker: the guard's transaction settles the start (as the sticky timer's does) and the
 *   guard no longer applies; the start-to-close timer runs from the real start.
 * - Lost start: the guard finds the task unstarted and the run's memory epoch changed since the
 *   task was scheduled (a restart, a failed commit; ADR 0067), and offers it again under a new
 *   stamp. A run holding a start in memory is never evicted, so an eviction is not a loss.
 * - No start at all (the task waits in a backlog, the epoch unchanged): the guard only closes
 *   the window; a later poll starts the task with a commit.
 */

/** Whether the stored task `stamp`, polled from a queue of kind `polled`, may be started in memory now. */
function canStartLazily(
  wf: WorkflowComponent,
  stamp: number,
  polled: 'normal' | 'sticky',
  now: number,
  config: Pick<WorkflowConfig, 'lazyStickyStart' | 'lazyNormalStart'>,
): boolean {
  const s = wf.state;
  const t = s.wft;
  if (
    s.status !== 'running' ||
    t === null ||
    t.stamp !== stamp ||
    t.scheduledEventId === 0 ||
    t.startedEventId !== 0 ||
    t.speculative === true ||
    t.transient ||
    t.queueKind !== polled
  ) {
    return false;
  }
  if (polled === 'sticky') {
    return config.lazyStickyStart && s.sticky !== null && s.sticky.name === t.queueName && s.wftTimeoutMs >= s.sticky.timeoutMs;
  }
  // ADR 0064: only while the stored start guard is still to run (it is what recovers a lost start).
  return config.lazyNormalStart && s.sticky === null && t.startGuardAt !== undefined && now < t.startGuardAt;
}

/**
 * Inside a speculative update (the poll's accept hook): starts the stored task in memory and
 * returns the poll response, or undefined when it may not (`canStartLazily`) or is stale.
 */
export function startLazily(
  wf: WorkflowComponent,
  ctx: MutableContext,
  stamp: number,
  polled: 'normal' | 'sticky',
  identity: string,
  requestId: string,
  config: Pick<WorkflowConfig, 'lazyStickyStart' | 'lazyNormalStart' | 'suggestContinueAsNewEvents' | 'suggestContinueAsNewBytes'>,
): ReturnType<typeof startWorkflowTask> {
  if (!canStartLazily(wf, stamp, polled, ctx.now.getTime(), config)) return undefined;
  const t = wf.state.wft!;
  t.lazy = true;
  const response = startWorkflowTask(new HistoryWriter(wf, ctx), stamp, polled, identity, requestId, config);
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
  const id = writeStart(wf, ctx, lazyStartedEvents.get(t) ?? lateStartedEvent(s, t, t.scheduledEventId));
  lazyStartedEvents.delete(t);
  // Every committing transaction settles first and a speculative one appends nothing, so the
  // next id is the one the worker was given; anything else is a bug that must not be written.
  if (id !== t.startedEventId) throw new Error(`lazily started workflow task: Started would be event ${id}, the worker was told ${t.startedEventId}`);
  return true;
}

/** Writes the current task's Started event and its start-to-close timer (from `startedTime`); returns the event's id. */
function writeStart(wf: WorkflowComponent, ctx: MutableContext, started: HistoryEvent): number {
  const s = wf.state;
  const t = s.wft!;
  const w = new HistoryWriter(wf, ctx);
  const id = w.append(started);
  ctx.addTask(wf, WorkflowTaskTimeout, { stamp: t.stamp, kind: 'startToClose' }, { at: new Date(t.startedTime + s.wftTimeoutMs) });
  w.commit();
  return id;
}

/**
 * A completion or failure whose token names a start held in memory and lost since (kill -9, the
 * run left the cache, or a transaction that failed after settling it dropped the cached run):
 * the stored task is the one the token names, not started, and nothing was written since, so the
 * worker saw exactly the stored history plus the Started event it was given. Such a token is
 * accepted: the Started event is written now (with the start time the token carries and the
 * caller's identity) and the caller goes on to complete or fail the task. ADR 0064.
 */
export function lostLazyStartMatches(wf: WorkflowComponent, token: WorkflowTaskToken): boolean {
  const s = wf.state;
  const t = s.wft;
  return (
    s.status === 'running' &&
    t !== null &&
    t.stamp === token.stamp &&
    t.startedEventId === 0 &&
    !t.transient &&
    t.speculative !== true &&
    t.lazy !== true &&
    t.scheduledEventId > 0 &&
    t.scheduledEventId === token.scheduledEventId &&
    t.attempt === token.attempt &&
    token.startedEventId === s.nextEventId
  );
}

/** Starts the task again as the lost lazy start had (see `lostLazyStartMatches`); false when the token names something else. */
export function restoreLostLazyStart(wf: WorkflowComponent, ctx: MutableContext, token: WorkflowTaskToken, identity: string): boolean {
  if (!lostLazyStartMatches(wf, token)) return false;
  const s = wf.state;
  const t = s.wft!;
  t.startedTime = token.startedTime ?? ctx.now.getTime();
  t.identity = identity;
  t.requestId = '';
  t.startedEventId = writeStart(wf, ctx, lateStartedEvent(s, t, t.scheduledEventId));
  return true;
}
