/**
 * How the workflow RPCs address a run and the checks they share on it: the engine ref for a
 * workflow id (and run id, or the current run), the request's execution and first-run checks, and
 * appending a signal. Apart from the handler files because start, control and read handlers all
 * use them.
 */
import { InvalidArgumentError, NotFoundError } from '@chasm/core';
import { HistoryWriter } from '../workflow/history-writer.js';
import { signalWorkflow, type SignalInput } from '../workflow/mutable-state.js';
import type { startRun } from '../workflow/start-run.js';
import { Workflow, type WorkflowComponent } from '../workflow/workflow.js';
import type { temporal } from '../proto.js';
import { checkId } from './validate.js';

/** A run addressed by workflow id (and run id, or the current run). */
export function target(namespaceId: string, workflowId: string, runId?: string | null) {
  return { type: Workflow, namespaceId, businessId: workflowId, ...(runId ? { runId } : {}) };
}

export const closed = (): NotFoundError => new NotFoundError('workflow execution already completed');

export function requireExecution(e: temporal.api.common.v1.IWorkflowExecution | null | undefined): { workflowId: string; runId: string } {
  const workflowId = e?.workflowId ?? '';
  if (!workflowId) throw new InvalidArgumentError('workflow_execution.workflow_id', 'WorkflowId is not set on request.');
  // No length limit here (a run started under a larger limit stays addressable); a NUL, which no
  // store can look up, is refused rather than failing in the store.
  checkId('workflow_execution.workflow_id', workflowId, Infinity, { name: 'WorkflowId' });
  const runId = checkId('workflow_execution.run_id', e?.runId, Infinity, { name: 'RunId' });
  return { workflowId, runId };
}

export function checkChain(wf: WorkflowComponent, firstExecutionRunId: string | null | undefined): void {
  if (firstExecutionRunId && wf.state.firstExecutionRunId !== firstExecutionRunId) {
    throw new NotFoundError('workflow execution not found for the given first execution run id');
  }
}

/** Appends a signal (deduplicated by request id) and schedules a workflow task. */
export function signalRun(wf: WorkflowComponent, ctx: Parameters<typeof startRun>[1], sig: SignalInput): void {
  const w = new HistoryWriter(wf, ctx);
  signalWorkflow(w, sig);
  w.commit();
}
