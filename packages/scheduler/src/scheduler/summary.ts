import type { InvokerComponent } from '../invoker/invoker.js';
import type { SchedulerComponent } from './scheduler.js';
import type { RecentAction } from './scheduler-state.js';

const LIST_RECENT_ACTIONS = 5;

/** Every started start as a recent action: running ones first in buffer order, then completed by close time. */
export function recentActions(invoker: InvokerComponent | undefined): RecentAction[] {
  const started = (invoker?.state.bufferedStarts ?? []).filter((b) => b.runId !== null && b.startTime !== null);
  const running = started.filter((b) => b.completed === null);
  const done = started.filter((b) => b.completed !== null).sort((a, b) => a.completed!.closeTime - b.completed!.closeTime);
  return [...running, ...done].map((b) => ({
    scheduleTime: b.actualTime,
    actualTime: b.startTime!,
    workflowId: b.workflowId,
    runId: b.runId!,
    status: b.completed ? statusName(b.completed.status) : 'RUNNING',
  }));
}

const STATUS_NAMES = { completed: 'COMPLETED', failed: 'FAILED', canceled: 'CANCELED', terminated: 'TERMINATED', timedOut: 'TIMED_OUT' } as const;
const statusName = (s: keyof typeof STATUS_NAMES): string => STATUS_NAMES[s];

/**
 * Refreshes the root's list summary (recent actions, future times, counts) after the generator or
 * the invoker changed: visibility's memo and search attributes are computed from the root.
 */
export function refreshSummary(root: SchedulerComponent, futureActionTimes?: number[]): void {
  const invoker = root.fields.invoker.get();
  const buffer = invoker?.state.bufferedStarts ?? [];
  const future = futureActionTimes ?? root.fields.generator.get()?.state.futureActionTimes ?? [];
  const recent = recentActions(invoker);
  root.state.summary = {
    // The newest by actual time, in ascending order.
    recentActions: [...recent].sort((a, b) => a.actualTime - b.actualTime).slice(-LIST_RECENT_ACTIONS),
    futureActionTimes: future,
    runningWorkflows: buffer.filter((b) => b.runId !== null && b.completed === null).length,
    bufferedStarts: buffer.filter((b) => b.runId === null && b.completed === null).length,
    nextActionTime: future[0] ?? null,
  };
}
