import type { MutableContext } from '@chasm/core';
import { compiledSpecOf, seedOf } from '../scheduler/compiled.js';
import { Scheduler, type SchedulerComponent } from '../scheduler/scheduler.js';
import type { InvokerComponent } from '../invoker/invoker.js';
import { scheduledWorkflowId, startRequestId } from '../invoker/start-identity.js';
import { refreshSummary } from '../scheduler/summary.js';
import type { BackfillerComponent } from './backfiller.js';

/** Completed starts the capacity rule leaves out of the buffer's length. */
const RECENT_ALLOWANCE = 10;

export type BackfillOutcome =
  /** Done: the backfiller was removed; the generator should run. */
  | { readonly kind: 'done'; readonly buffered: boolean }
  /** More to do: run again now (buffered) or after a backoff (no room). */
  | { readonly kind: 'more'; readonly buffered: boolean; readonly at: number | null };

/**
 * One backfiller pass (reference A.9): a trigger buffers one manual start; a range buffers the
 * spec times in [start, end] as far as the buffer has room, and resumes where it stopped.
 */
export function backfill(bf: BackfillerComponent, ctx: MutableContext): BackfillOutcome {
  const root = bf.parent(Scheduler) as SchedulerComponent;
  const s = root.state;
  const invoker = root.fields.invoker.get() as InvokerComponent;
  const buffer = invoker.state.bufferedStarts;
  const b = bf.state;
  const now = ctx.now.getTime();

  const push = (nominal: number, actual: number): void => {
    buffer.push({
      nominalTime: nominal,
      actualTime: actual,
      desiredTime: b.kind === 'trigger' ? nominal : null,
      overlapPolicy: b.overlapPolicy,
      manual: true,
      requestId: startRequestId(s.namespaceId, s.scheduleId, s.conflictToken, nominal, actual, b.backfillId),
      attempt: 0,
      backoffTime: null,
      workflowId: scheduledWorkflowId(s.actionWorkflowId, nominal, s.keepOriginalWorkflowId),
      runId: null,
      startTime: null,
      completed: null,
    });
  };

  if (b.kind === 'trigger') {
    push(b.startTime, b.startTime);
    remove(root, b.backfillId);
    return { kind: 'done', buffered: true };
  }

  const rangeBackfillers = root.fields.backfillers.keys().filter((k) => root.fields.backfillers.get(k)?.state.kind === 'range').length;
  const t = s.tweakables;
  const room = Math.floor(
    Math.max(0, t.maxBufferSize / 2 - Math.max(0, buffer.length - RECENT_ALLOWANCE) - t.generatorBufferReserveSize) / Math.max(1, rangeBackfillers),
  );
  if (room <= 0) {
    b.attempt++;
    const delay = Math.min(t.retryInitialMs * 2 ** (b.attempt - 1), t.retryMaxMs);
    return { kind: 'more', buffered: false, at: now + delay };
  }
  b.attempt = 0;
  const spec = compiledSpecOf(s);
  const seed = seedOf(s);
  // Both ends are inclusive: start one millisecond before the start time.
  let after = b.lastProcessedTime ?? b.startTime - 1;
  let added = 0;
  for (;;) {
    const next = spec.next(new Date(after), seed);
    if (!next || next.nominal.getTime() > b.endTime) {
      remove(root, b.backfillId);
      refreshSummary(root);
      return { kind: 'done', buffered: added > 0 };
    }
    if (added >= room) {
      b.lastProcessedTime = after;
      refreshSummary(root);
      return { kind: 'more', buffered: added > 0, at: null };
    }
    push(next.nominal.getTime(), next.actual.getTime());
    added++;
    after = next.actual.getTime();
  }
}

function remove(root: SchedulerComponent, backfillId: string): void {
  root.fields.backfillers.delete(backfillId);
}
