import type { CompletionOutcome, CompletionStatus } from '@chasm/core';
import { api, Enums, type Failure, type HistoryEvent } from '../proto.js';
import type { WorkflowComponent, WorkflowStatus } from '../workflow/workflow.js';

const CLOSE_STATUS: Partial<Record<WorkflowStatus, CompletionStatus>> = {
  completed: 'completed',
  failed: 'failed',
  canceled: 'canceled',
  terminated: 'terminated',
  timedOut: 'timedOut',
};

/** The run's close event: the last event of its history (nothing is appended after a close). */
function closeEvent(wf: WorkflowComponent): HistoryEvent | undefined {
  const keys = wf.fields.history.keys().sort();
  for (let k = keys.length - 1; k >= 0; k--) {
    const batch = wf.fields.history.get(keys[k]!) ?? [];
    for (let i = batch.length - 1; i >= 0; i--) {
      const e = batch[i]!;
      if (
        e.workflowExecutionCompletedEventAttributes ||
        e.workflowExecutionFailedEventAttributes ||
        e.workflowExecutionCanceledEventAttributes ||
        e.workflowExecutionTerminatedEventAttributes ||
        e.workflowExecutionTimedOutEventAttributes
      ) {
        return e;
      }
    }
  }
  return undefined;
}

/**
 * The failure a caller sees for a run that did not complete, built from its close event the way
 * the SDK client builds it for `result()`: the workflow's own failure, or a Canceled / Terminated /
 * Timeout failure (so a receiver can tell them apart by failure info, as Temporal's scheduler does).
 */
function failureOf(e: HistoryEvent | undefined, status: CompletionStatus): Failure {
  switch (status) {
    case 'failed':
      return e?.workflowExecutionFailedEventAttributes?.failure ?? { message: 'Workflow execution failed' };
    case 'canceled': {
      const details = e?.workflowExecutionCanceledEventAttributes?.details;
      return { message: 'Workflow canceled', canceledFailureInfo: details ? { details } : {} };
    }
    case 'terminated':
      return { message: e?.workflowExecutionTerminatedEventAttributes?.reason || 'Workflow execution terminated', terminatedFailureInfo: {} };
    case 'timedOut':
      return { message: 'Workflow execution timed out', timeoutFailureInfo: { timeoutType: Enums.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE } };
    case 'completed':
      throw new Error('a completed run has no failure');
  }
}

/**
 * The outcome of a closed run that ended its chain: the result or failure of this (last) run,
 * under the chain's first run id (what the starter got back) and this run's id.
 */
export function completionOutcomeOf(wf: WorkflowComponent): CompletionOutcome {
  const s = wf.state;
  const status = CLOSE_STATUS[s.status];
  if (!status) throw new Error(`run ${s.runId} did not end its chain (status ${s.status})`);
  const e = closeEvent(wf);
  const base = {
    status,
    closeTime: new Date(s.closeTime ?? Date.now()),
    businessId: s.workflowId,
    firstRunId: s.firstExecutionRunId,
    runId: s.runId,
  };
  if (status === 'completed') {
    const result = e?.workflowExecutionCompletedEventAttributes?.result ?? {};
    return { ...base, result: api.common.v1.Payloads.encode(api.common.v1.Payloads.fromObject(result)).finish(), failure: null };
  }
  const failure = failureOf(e, status);
  return { ...base, result: null, failure: api.failure.v1.Failure.encode(api.failure.v1.Failure.fromObject(failure)).finish() };
}
