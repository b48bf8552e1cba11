import type { MutableContext } from '@chasm/core';
import { LIMIT_EXCEEDED } from '@chasm/schedule-spec';
import { compiledSpecOf, seedOf } from '../scheduler/compiled.js';
import { Scheduler, type SchedulerComponent } from '../scheduler/scheduler.js';
import { canTakeScheduledAction, catchupWindowMs } from '../scheduler/scheduler-state.js';
import type { InvokerComponent } from '../invoker/invoker.js';
import { scheduledWorkflowId, startRequestId } from '../invoker/start-identity.js';
import { refreshSummary } from '../scheduler/summary.js';
import type { GeneratorComponent } from './generator.js';

/** What a generator run asks its task to arrange next. */
export interface GenerateOutcome {
  /** New starts were buffered: the invoker must process its buffer. */
  readonly buffered: boolean;
  /** Arm the next wake-up at this (actual) time. */
  readonly wakeAt: number | null;
  /** The schedule is idle: arm the idle-close timer at this deadline. */
  readonly idleAt: number | null;
}

const FUTURE_TIMES = 10;

/**
 * One generator run (reference A.5): buffers the spec times in (high-water mark, now], computes
 * the future action times, and decides the next wake-up or the idle deadline.
 */
export function generate(gen: GeneratorComponent, ctx: MutableContext): GenerateOutcome {
  const root = gen.parent(Scheduler) as SchedulerComponent;
  const s = root.state;
  const invoker = root.fields.invoker.get() as InvokerComponent;
  const g = gen.state;
  const now = ctx.now.getTime();
  const spec = compiledSpecOf(s);
  const seed = seedOf(s);

  if (g.lastProcessedTime === null) g.lastProcessedTime = now;
  let hwm = Math.max(g.lastProcessedTime, s.info.updateTime);
  let buffered = false;

  if (!canTakeScheduledAction(s)) {
    // Times that pass while paused (or with no actions left) are dropped, not caught up.
    hwm = now;
  } else {
    const window = catchupWindowMs(s);
    const buffer = invoker.state.bufferedStarts;
    for (;;) {
      const next = spec.next(new Date(hwm), seed);
      if (!next || next.actual.getTime() > now) break;
      const nominal = next.nominal.getTime();
      const actual = next.actual.getTime();
      hwm = actual;
      if (nominal < s.info.updateTime) continue; // before the last update: never fired
      if (now - actual > window) {
        s.info.missedCatchupWindow++;
        continue;
      }
      if (buffer.length >= s.tweakables.maxBufferSize) {
        s.info.bufferDropped++;
        continue;
      }
      buffer.push({
        nominalTime: nominal,
        actualTime: actual,
        desiredTime: null,
        overlapPolicy: 'UNSPECIFIED',
        manual: false,
        requestId: startRequestId(s.namespaceId, s.scheduleId, s.conflictToken, nominal, actual, null),
        attempt: 0,
        backoffTime: null,
        workflowId: scheduledWorkflowId(s.actionWorkflowId, nominal, s.keepOriginalWorkflowId),
        runId: null,
        startTime: null,
        completed: null,
      });
      buffered = true;
    }
  }
  g.lastProcessedTime = hwm;

  // Future action times are listed even while paused; limited to the actions left.
  const count = s.limitedActions ? Math.min(Math.max(s.remainingActions, 0), FUTURE_TIMES) : FUTURE_TIMES;
  g.futureActionTimes = futureTimes(s, Math.max(now, s.info.updateTime, hwm), count);
  const nextWake = spec.search(hwm, seed);
  const wakeAt = nextWake === undefined || nextWake === LIMIT_EXCEEDED ? null : nextWake.actual.getTime();

  // Idle (reference A.5 step 6): nothing more to run, and not held open by pause or backfills.
  const heldOpen = s.paused || root.fields.backfillers.size > 0;
  const idle = s.tweakables.idleTimeMs > 0 && !heldOpen && (wakeAt === null || !canTakeScheduledAction(s));
  let idleAt: number | null = null;
  if (idle) {
    idleAt = idleDeadline(root);
    s.idleCloseTime = idleAt;
  } else {
    s.idleCloseTime = null;
  }
  refreshSummary(root, g.futureActionTimes);
  return {
    buffered,
    // While paused or out of actions there is nothing to wake up for: unpause and update generate.
    wakeAt: canTakeScheduledAction(s) ? wakeAt : null,
    idleAt,
  };
}

/** The next `count` actual times searched from `from` (exclusive). */
export function futureTimes(s: Parameters<typeof compiledSpecOf>[0] & Parameters<typeof seedOf>[0], from: number, count: number): number[] {
  const spec = compiledSpecOf(s);
  const seed = seedOf(s);
  const out: number[] = [];
  let t = from;
  while (out.length < count) {
    const next = spec.next(new Date(t), seed);
    if (!next) break;
    out.push(next.actual.getTime());
    t = next.actual.getTime();
  }
  return out;
}

/** max(create time, update time, every recent action's start time) + idle time. */
export function idleDeadline(root: SchedulerComponent): number {
  const s = root.state;
  let last = Math.max(s.info.createTime, s.info.updateTime);
  for (const b of root.fields.invoker.get()?.state.bufferedStarts ?? []) {
    if (b.startTime !== null) last = Math.max(last, b.startTime);
  }
  return last + s.tweakables.idleTimeMs;
}
