import { compiledSpecOf, seedOf } from '../scheduler/compiled.js';
import type { SchedulerComponent } from '../scheduler/scheduler.js';
import { canTakeScheduledAction, catchupWindowMs, resolvePolicy } from '../scheduler/scheduler-state.js';
import { isRunningStart, type BufferedStart, type InvokerComponent } from '../invoker/invoker.js';
import { scheduledWorkflowId, startRequestId } from '../invoker/start-identity.js';
import type { GeneratorComponent } from './generator.js';

/**
 * The starts a wake-up will run at once, computed without changing anything: the common case of
 * a schedule with nothing waiting, whose due times all start now (ALLOW_ALL, or one time with
 * nothing running). The wake-up task starts them before its transaction, which then buffers and
 * records them in one commit instead of three. Undefined when the case is not that simple (paused,
 * limited, anything pending, overlap to resolve, too many): the ordinary path handles it.
 */
export function dueStarts(root: SchedulerComponent, gen: GeneratorComponent, now: number): BufferedStart[] | undefined {
  const s = root.state;
  const inv = (root.fields.invoker.get() as InvokerComponent).state;
  if (!canTakeScheduledAction(s) || s.limitedActions) return undefined;
  if (inv.cancelWorkflows.length > 0 || inv.terminateWorkflows.length > 0) return undefined;
  if (inv.bufferedStarts.some((b) => b.completed === null && b.runId === null)) return undefined;
  const spec = compiledSpecOf(s);
  const seed = seedOf(s);
  const window = catchupWindowMs(s);
  const due: BufferedStart[] = [];
  let hwm = Math.max(gen.state.lastProcessedTime ?? now, s.info.updateTime);
  for (;;) {
    const next = spec.next(new Date(hwm), seed);
    if (!next || next.actual.getTime() > now) break;
    const nominal = next.nominal.getTime();
    const actual = next.actual.getTime();
    hwm = actual;
    if (nominal < s.info.updateTime) continue;
    if (now - actual > window) return undefined; // counted as missed by the ordinary path
    due.push({
      nominalTime: nominal,
      actualTime: actual,
      desiredTime: null,
      overlapPolicy: 'UNSPECIFIED',
      manual: false,
      requestId: startRequestId(s.namespaceId, s.scheduleId, s.conflictToken, nominal, actual, null),
      attempt: 1,
      backoffTime: null,
      workflowId: scheduledWorkflowId(s.actionWorkflowId, nominal, s.keepOriginalWorkflowId),
      runId: null,
      startTime: null,
      completed: null,
    });
  }
  if (due.length === 0 || due.length > s.tweakables.maxActionsPerExecution) return undefined;
  if (inv.bufferedStarts.length + due.length > s.tweakables.maxBufferSize) return undefined;
  const policy = resolvePolicy('UNSPECIFIED', s.overlapPolicy);
  if (policy !== 'ALLOW_ALL' && (due.length > 1 || inv.bufferedStarts.some(isRunningStart))) return undefined;
  return due;
}
