import type { MutableContext } from '@chasm/core';
import { Scheduler, type SchedulerComponent } from '../scheduler/scheduler.js';
import { canTakeScheduledAction, catchupWindowMs, resolvePolicy } from '../scheduler/scheduler-state.js';
import { refreshSummary } from '../scheduler/summary.js';
import { isRunningStart, type BufferedStart, type InvokerComponent } from './invoker.js';

/** Manual starts never miss their window: their deadline is an hour after each processing. */
const MANUAL_DEADLINE_MS = 3600_000;
/** Automatic starts get at least this long after their time, whatever the catch-up window. */
const MIN_START_WINDOW_MS = 5_000;

/** What a processing pass asks its task to arrange next. */
export interface ProcessOutcome {
  /** Starts are ready, or workflows must be cancelled or terminated: run the execute task. */
  readonly execute: boolean;
}

/**
 * Overlap resolution (reference A.6, Temporal's ProcessBuffer): decides which pending starts run
 * now, which wait, which are dropped, and which running workflows to cancel or terminate.
 */
export function processBuffer(invoker: InvokerComponent, ctx: MutableContext): ProcessOutcome {
  const root = invoker.parent(Scheduler) as SchedulerComponent;
  const s = root.state;
  const inv = invoker.state;
  const now = ctx.now.getTime();
  const policyOf = (b: BufferedStart) => resolvePolicy(b.overlapPolicy, s.overlapPolicy);

  // Pending: unprocessed starts, plus deferred BUFFER_ONE starts, which stay to reject later ones.
  const pending = inv.bufferedStarts.filter((b) => b.completed === null && b.runId === null && (b.attempt === 0 || (b.attempt === -1 && policyOf(b) === 'BUFFER_ONE')));
  const running = inv.bufferedStarts.filter(isRunningStart);
  const isRunning = running.length > 0;

  const drop = new Set<BufferedStart>();
  const deferred = new Set<BufferedStart>();
  const allowAll: BufferedStart[] = [];
  let chosen: BufferedStart | undefined;
  let keptBufferOne = false;
  let cancel = false;
  let terminate = false;

  for (const b of pending) {
    const policy = policyOf(b);
    if (policy === 'ALLOW_ALL') {
      allowAll.push(b);
      continue;
    }
    if (!isRunning && chosen === undefined) {
      chosen = b;
      continue;
    }
    switch (policy) {
      case 'SKIP':
        drop.add(b);
        s.info.overlapSkipped++;
        break;
      case 'BUFFER_ONE':
        if (keptBufferOne) {
          drop.add(b);
          s.info.overlapSkipped++;
        } else {
          deferred.add(b);
          keptBufferOne = true;
        }
        break;
      case 'BUFFER_ALL':
        deferred.add(b);
        break;
      case 'CANCEL_OTHER':
      case 'TERMINATE_OTHER':
        if (isRunning) {
          if (policy === 'CANCEL_OTHER') cancel = true;
          else terminate = true;
          deferred.add(b);
        } else {
          // Nothing runs yet: this start replaces the one chosen earlier in this pass.
          if (chosen) drop.add(chosen);
          chosen = b;
        }
        break;
    }
  }

  const ready: BufferedStart[] = [];
  if (cancel || terminate) {
    // The running workflows go first; the ALLOW_ALL starts of this pass are discarded.
    for (const b of allowAll) drop.add(b);
    const refs = running.filter((b) => b.runId !== null).map((b) => ({ workflowId: b.workflowId, runId: b.runId! }));
    const list = terminate ? inv.terminateWorkflows : inv.cancelWorkflows;
    for (const r of refs) if (!list.some((x) => x.runId === r.runId)) list.push(r);
    if (chosen) deferred.add(chosen);
  } else {
    if (chosen) ready.push(chosen);
    ready.push(...allowAll);
  }

  const window = catchupWindowMs(s);
  for (const b of ready) {
    const deadline = b.manual ? now + MANUAL_DEADLINE_MS : b.actualTime + Math.max(window, MIN_START_WINDOW_MS);
    if (now > deadline) {
      drop.add(b);
      s.info.missedCatchupWindow++;
      continue;
    }
    if (!b.manual) {
      if (!canTakeScheduledAction(s)) {
        drop.add(b);
        continue;
      }
      if (s.limitedActions) {
        s.remainingActions--;
        s.conflictToken++;
      }
    }
    b.attempt = 1;
  }
  for (const b of pending) {
    if (b.attempt === 0 && !drop.has(b)) deferred.add(b);
  }
  for (const b of deferred) if (!drop.has(b)) b.attempt = -1;
  if (drop.size > 0) inv.bufferedStarts = inv.bufferedStarts.filter((b) => !drop.has(b));
  refreshSummary(root);
  return { execute: hasExecutableWork(invoker, now) };
}

/** Starts ready past their backoff, or cancels or terminates waiting. */
export function hasExecutableWork(invoker: InvokerComponent, now: number): boolean {
  const inv = invoker.state;
  return inv.cancelWorkflows.length > 0 || inv.terminateWorkflows.length > 0 || inv.bufferedStarts.some((b) => readyToStart(b, now));
}

export const readyToStart = (b: BufferedStart, now: number): boolean =>
  b.attempt >= 1 && b.runId === null && b.completed === null && (b.backoffTime === null || b.backoffTime <= now);

/** The earliest backoff of a start waiting to be retried. */
export function nextRetryTime(invoker: InvokerComponent): number | null {
  let t: number | null = null;
  for (const b of invoker.state.bufferedStarts) {
    if (b.attempt >= 1 && b.runId === null && b.completed === null && b.backoffTime !== null) t = t === null ? b.backoffTime : Math.min(t, b.backoffTime);
  }
  return t;
}
