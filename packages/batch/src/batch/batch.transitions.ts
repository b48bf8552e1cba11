import { stateMachine } from '@chasm/core';
import type { BatchComponent, BatchRunState, BatchTarget } from './batch.js';

const machine = stateMachine<BatchComponent, BatchRunState>({
  get: (c) => c.state.state,
  set: (c, s) => (c.state.state = s),
});

/** A fetched page of the query's executions, and the cursor after it. */
export interface PageRead {
  readonly executions: readonly BatchTarget[];
  readonly nextPageToken: string | null;
}

/** The outcome of one slice of the pending executions, in order from the front. */
export interface SliceDone {
  readonly handled: number;
  readonly complete: number;
  readonly failure: number;
}

/**
 * The batch's state machine: running → completed (all handled) or running → failed (stopped).
 * Progress (`recordPage`, `recordSlice`) changes counts and the cursor only; transitions and the
 * processing task are combined in batch-ops.ts so the two modules do not import each other.
 */
export const BatchTransitions = {
  complete: machine.transition<void>({
    name: 'complete',
    from: ['running'],
    to: 'completed',
    apply: (c, ctx) => {
      c.state.closeTime = ctx.now.getTime();
      c.state.stamp += 1;
    },
  }),
  stop: machine.transition<{ readonly reason: string; readonly identity: string }>({
    name: 'stop',
    from: ['running'],
    to: 'failed',
    apply: (c, ctx, { reason, identity }) => {
      c.state.closeTime = ctx.now.getTime();
      c.state.stopReason = reason;
      c.state.stopIdentity = identity;
      // A new stamp makes the armed processing task stale: it is dropped, never run again.
      c.state.stamp += 1;
    },
  }),
};

export function recordPage(c: BatchComponent, page: PageRead): void {
  const s = c.state;
  s.pending = [...page.executions];
  s.pageToken = page.nextPageToken;
  s.exhausted = page.nextPageToken === null;
}

export function recordSlice(c: BatchComponent, done: SliceDone): void {
  const s = c.state;
  s.pending = s.pending.slice(done.handled);
  s.complete += done.complete;
  s.failure += done.failure;
  // The query's count is an estimate taken at start; never show more done than the total.
  s.total = Math.max(s.total, s.complete + s.failure);
}

/** True when nothing is left: no pending execution and no page to fetch. */
export const finished = (c: BatchComponent): boolean => c.state.pending.length === 0 && c.state.exhausted;
