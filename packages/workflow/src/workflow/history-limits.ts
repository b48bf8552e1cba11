import type { WorkflowConfig } from '../config.js';
import type { WorkflowComponent } from './workflow.js';

/** Temporal's termination reasons (`common.FailureReasonHistory{Count,Size}ExceedsLimit`). */
export const HISTORY_COUNT_EXCEEDED = 'Workflow history count exceeds limit.';
export const HISTORY_SIZE_EXCEEDED = 'Workflow history size exceeds limit.';
/** The identity Temporal's history service terminates with (`consts.IdentityHistoryService`). */
export const HISTORY_SERVICE_IDENTITY = 'history-service';

type HistoryLimits = Pick<WorkflowConfig, 'historyCountLimitWarn' | 'historyCountLimitError' | 'historySizeLimitWarnBytes' | 'historySizeLimitErrorBytes'>;

/**
 * Thrown from inside a transaction whose change took a running workflow's history past an error
 * limit: the change is rolled back, and the caller terminates the run in a transaction of its own
 * with `reason` and answers INVALID_ARGUMENT with it, as Temporal's `enforceHistory{Count,Size}Check`
 * discard the mutation and force-terminate.
 */
export class HistoryLimitExceeded extends Error {
  constructor(
    readonly reason: string,
    readonly limit: RunLimit,
  ) {
    super(reason);
  }
}

/** The per-run limits a change can take a run past (history-limits.ts, state-size-limit.ts). */
export type RunLimit = 'count' | 'size' | 'mutableStateSize';

/** The `limit` label of workflow_limit_exceeded_total for a run limit. */
export const RUN_LIMIT_LABEL: Readonly<Record<RunLimit, string>> = { count: 'history_count', size: 'history_size', mutableStateSize: 'mutable_state_size' };

/** A run's history length and size, taken before a change. */
export interface HistoryMark {
  readonly count: number;
  readonly size: number;
}

export const historyMark = (wf: WorkflowComponent): HistoryMark => ({ count: wf.state.nextEventId - 1, size: wf.state.historySizeBytes });

/** Told when a change takes a run's history past a warn limit. */
export type HistoryWarn = (limit: RunLimit, value: number) => void;

/**
 * Checks a run after a change was applied and its events committed to the writer. Over an error
 * limit (and still running: a change that closed the run is kept) it throws HistoryLimitExceeded;
 * crossing a warn limit in this change is reported once through `warn`.
 */
export function enforceHistoryLimits(
  wf: WorkflowComponent,
  before: HistoryMark,
  limits: HistoryLimits,
  warn?: HistoryWarn,
): void {
  const s = wf.state;
  const count = s.nextEventId - 1;
  const size = s.historySizeBytes;
  if (s.status === 'running') {
    if (count > limits.historyCountLimitError) throw new HistoryLimitExceeded(HISTORY_COUNT_EXCEEDED, 'count');
    if (size > limits.historySizeLimitErrorBytes) throw new HistoryLimitExceeded(HISTORY_SIZE_EXCEEDED, 'size');
  }
  if (before.count <= limits.historyCountLimitWarn && count > limits.historyCountLimitWarn) warn?.('count', count);
  if (before.size <= limits.historySizeLimitWarnBytes && size > limits.historySizeLimitWarnBytes) warn?.('size', size);
}
