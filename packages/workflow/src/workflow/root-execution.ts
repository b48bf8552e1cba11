import type { temporal } from '../proto.js';
import { readHistory } from './history-writer.js';
import type { WorkflowComponent } from './workflow.js';

/**
 * The root execution of a run, as Temporal defines it: a child's is the one its started event names
 * (its parent's root, carried through continue-as-new); a run without a parent is its own root.
 * Temporal leaves the started event's root unset on such runs, so this is where the two differ.
 */
export function rootExecutionOf(wf: WorkflowComponent): temporal.api.common.v1.IWorkflowExecution {
  const started = readHistory(wf, 1, 1)[0]?.workflowExecutionStartedEventAttributes;
  const root = started?.rootWorkflowExecution;
  return root?.workflowId ? { workflowId: root.workflowId, runId: root.runId ?? '' } : { workflowId: wf.state.workflowId, runId: wf.state.runId };
}
