import { systemRetryDelayMs, type MutableContext } from '@chasm/core';
import type { SchedulerComponent } from '../scheduler/scheduler.js';
import type { InvokerComponent } from './invoker.js';
import type { StartResult } from './run-starts.js';
import { trimCompleted } from './record-completion.js';

/**
 * Records what the start RPCs answered: the run id of a started workflow, a retry with backoff,
 * or the start dropped (WorkflowExecutionAlreadyStarted and other refusals, or out of attempts).
 * A result is matched by request id, else (a start issued from a snapshot whose request id the
 * transaction computed differently) by workflow id among the starts not started yet. Returns
 * true when an early completion closed a start: the buffer must be processed again.
 */
export function recordStartResults(root: SchedulerComponent, invoker: InvokerComponent, ctx: MutableContext, results: readonly StartResult[]): boolean {
  const s = root.state;
  const inv = invoker.state;
  const now = ctx.now.getTime();
  const drop = new Set<string>();
  let completedAny = false;
  for (const r of results) {
    const b =
      inv.bufferedStarts.find((x) => x.requestId === r.requestId) ??
      (r.ok ? inv.bufferedStarts.find((x) => x.workflowId === r.workflowId && x.runId === null && x.completed === null && x.attempt >= 1) : undefined);
    if (!b || b.runId !== null) continue; // recorded already (a repeat, or the completion came first)
    if (r.ok) {
      // The run's callback names this request id: the completion must find the start by it.
      b.requestId = r.requestId;
      b.runId = r.runId;
      b.startTime = now;
      // A start repeated after a crash (same request id) answers the same run: it was taken.
      s.info.actionCount++;
      const early = inv.earlyCompletions?.findIndex((e) => e.requestId === r.requestId) ?? -1;
      if (early >= 0) {
        const e = inv.earlyCompletions!.splice(early, 1)[0]!;
        b.completed = { status: e.status, closeTime: e.closeTime };
        completedAny = true;
      }
    } else if (!r.retryable || b.attempt >= s.tweakables.maxStartAttempts) {
      drop.add(b.requestId);
    } else {
      b.attempt++;
      b.backoffTime = now + systemRetryDelayMs(b.attempt - 1, s.tweakables.retryInitialMs, s.tweakables.retryMaxMs);
    }
  }
  if (drop.size > 0) inv.bufferedStarts = inv.bufferedStarts.filter((b) => !drop.has(b.requestId) || b.completed !== null);
  if (completedAny) {
    trimCompleted(root, invoker);
    // As a completion does: deferred starts are considered again (the caller processes the buffer).
    for (const b of inv.bufferedStarts) if (b.attempt === -1) b.attempt = 0;
  }
  return completedAny;
}
