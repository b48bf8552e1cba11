import type { CompletionOutcome, MutableContext } from '@chasm/core';
import type { SchedulerComponent } from '../scheduler/scheduler.js';
import { refreshSummary } from '../scheduler/summary.js';
import { MAX_EARLY_COMPLETIONS, type InvokerComponent } from './invoker.js';

/**
 * A workflow the schedule started has closed (reference A.8): record its outcome, pause on
 * failure if asked, keep the last ten completed starts, and re-enable deferred starts. Returns
 * false when the start is unknown or already completed (a repeated delivery): nothing changes.
 */
export function recordCompletion(root: SchedulerComponent, ctx: MutableContext, requestId: string, outcome: CompletionOutcome): boolean {
  const invoker = root.fields.invoker.get() as InvokerComponent;
  const inv = invoker.state;
  const start = inv.bufferedStarts.find((b) => b.requestId === requestId && b.completed === null);
  const closeTime = outcome.closeTime.getTime();
  if (!start) {
    if (inv.bufferedStarts.some((b) => b.requestId === requestId)) return false; // a repeated delivery
    // Its start is not recorded yet (see InvokerState.earlyCompletions): keep it for the record.
    const early = (inv.earlyCompletions ??= []);
    if (early.some((e) => e.requestId === requestId)) return false;
    early.push({ requestId, status: outcome.status, closeTime });
    if (early.length > MAX_EARLY_COMPLETIONS) early.shift();
    applyOutcome(root, outcome);
    return true;
  }
  start.completed = { status: outcome.status, closeTime };
  // The callback can overtake the execute task's own record of the start. The run was started,
  // so the action counts here: that record then finds the run id set and skips the start, which
  // is where the action was counted otherwise (numActionsTaken stayed one short, seen in CI).
  if (start.runId === null) {
    start.runId = outcome.firstRunId;
    root.state.info.actionCount++;
  }
  start.startTime ??= closeTime;
  if (start.attempt < 1) start.attempt = 1;

  applyOutcome(root, outcome);
  trimCompleted(root, invoker);

  // Deferred starts are considered again, in order, as if due when this one closed.
  let first = true;
  for (const b of inv.bufferedStarts) {
    if (b.attempt === -1) {
      b.attempt = 0;
      if (first) b.desiredTime = closeTime;
      first = false;
    }
  }
  void ctx;
  refreshSummary(root);
  return true;
}

/** The last result or failure for the next start, and pause-on-failure. */
function applyOutcome(root: SchedulerComponent, outcome: CompletionOutcome): void {
  const s = root.state;
  const last = root.fields.lastCompletion.get() ?? { success: null, failure: null };
  if (outcome.status === 'completed') {
    root.fields.lastCompletion.set({ success: outcome.result, failure: null });
  } else {
    root.fields.lastCompletion.set({ success: last.success, failure: outcome.failure });
  }
  // Only failures and timeouts pause; cancel and terminate never do.
  if (s.pauseOnFailure && (outcome.status === 'failed' || outcome.status === 'timedOut')) {
    s.paused = true;
    s.notes = `paused, workflow ${outcome.status === 'failed' ? 'failed' : 'timed_out'}: ${outcome.businessId}`;
    s.conflictToken++;
  }
}

/** Keeps only the most recently closed completed starts. */
export function trimCompleted(root: SchedulerComponent, invoker: InvokerComponent): void {
  const inv = invoker.state;
  const completed = inv.bufferedStarts.filter((b) => b.completed !== null).sort((a, b) => b.completed!.closeTime - a.completed!.closeTime);
  const keep = new Set(completed.slice(0, root.state.tweakables.recentCompletedKept));
  inv.bufferedStarts = inv.bufferedStarts.filter((b) => b.completed === null || keep.has(b));
}
