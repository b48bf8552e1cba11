import type { ComponentOf, CompletionStatus } from '@chasm/core';
import { lib } from '../library-builder.js';
import type { OverlapPolicy } from '../scheduler/scheduler-state.js';

/**
 * One start in the invoker's buffer (Temporal's BufferedStart). The buffer holds waiting, running
 * and recently completed starts. `attempt`: 0 = not yet processed, -1 = deferred by the overlap
 * policy, ≥ 1 = ready or being started.
 */
export interface BufferedStart {
  nominalTime: number;
  actualTime: number;
  /** When a deferred start became eligible (the previous action's close time). */
  desiredTime: number | null;
  overlapPolicy: OverlapPolicy;
  /** Backfill or trigger-immediately: ignores pause and limits, never consumes remaining actions. */
  manual: boolean;
  requestId: string;
  attempt: number;
  /** Not before this time (a retry after a failed start). */
  backoffTime: number | null;
  workflowId: string;
  /** Set once the workflow started (its first run id). */
  runId: string | null;
  startTime: number | null;
  completed: { status: CompletionStatus; closeTime: number } | null;
}

/** A running workflow an overlap policy cancels or terminates. */
export interface WorkflowRef {
  workflowId: string;
  runId: string;
}

/** State of `scheduler.invoker`. */
export interface InvokerState {
  bufferedStarts: BufferedStart[];
  cancelWorkflows: WorkflowRef[];
  terminateWorkflows: WorkflowRef[];
  /** Bumped when a retry timer is armed: only the latest is valid. */
  retryStamp: number;
  /**
   * Completions that arrived before their start was recorded: a wake-up starts workflows before
   * its transaction commits, and a quick workflow's callback can win the race to the lock. The
   * start's record applies them. Bounded; absent in state written before it existed.
   */
  earlyCompletions?: { requestId: string; status: CompletionStatus; closeTime: number }[];
}

/** Early completions kept at most (the oldest go first). */
export const MAX_EARLY_COMPLETIONS = 50;

/** Resolves overlap and starts, cancels and terminates workflows (reference A.6). */
export const Invoker = lib.component({
  name: 'invoker',
  lifecycle: (_s: InvokerState) => 'running',
});
export type InvokerComponent = ComponentOf<typeof Invoker>;

export const isRunningStart = (b: BufferedStart): boolean => b.attempt >= 1 && b.completed === null;
