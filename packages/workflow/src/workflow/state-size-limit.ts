import type { Context } from '@chasm/core';
import type { WorkflowConfig } from '../config.js';
import { HistoryLimitExceeded, type HistoryWarn } from './history-limits.js';
import type { WorkflowComponent } from './workflow.js';

/** Temporal's termination reason (`common.FailureReasonMutableStateSizeExceedsLimit`). */
export const MUTABLE_STATE_SIZE_EXCEEDED = 'Workflow mutable state size exceeds limit.';

type StateSizeLimits = Pick<WorkflowConfig, 'mutableStateSizeLimitWarnBytes' | 'mutableStateSizeLimitErrorBytes'>;

/**
 * Temporal's `enforceMutableStateSizeCheck` for a change applied inside a transaction. The size
 * is the run's component state as its last commit wrote it (`ctx.stateBytes`, which the engine
 * measured when it encoded the nodes: no encoding here), so the change that takes a run past the
 * limit is stored and the next workflow task completion or signal finds it over: that change is
 * rolled back (HistoryLimitExceeded) and the caller terminates the run with Temporal's reason. A
 * change that closed the run is kept. Passing the warn limit is reported once per run.
 */
export function enforceStateSizeLimit(wf: WorkflowComponent, ctx: Context, limits: StateSizeLimits, warn?: HistoryWarn): void {
  const s = wf.state;
  const size = ctx.stateBytes;
  if (s.status === 'running' && size > limits.mutableStateSizeLimitErrorBytes) throw new HistoryLimitExceeded(MUTABLE_STATE_SIZE_EXCEEDED, 'mutableStateSize');
  if (size > limits.mutableStateSizeLimitWarnBytes && !s.stateSizeWarned) {
    s.stateSizeWarned = true;
    warn?.('mutableStateSize', size);
  }
}
