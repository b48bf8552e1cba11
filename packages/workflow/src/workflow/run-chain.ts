import { long } from '@chasm/matching';
import { api } from '../proto.js';
import { readHistory } from './history-writer.js';
import type { StartedAttributes } from './start-run.js';
import type { WorkflowComponent } from './workflow.js';

/** The WorkflowExecutionStarted attributes of a run (its first event). */
export function startedAttributes(wf: WorkflowComponent): StartedAttributes {
  const first = readHistory(wf, 1, 1)[0];
  return first?.workflowExecutionStartedEventAttributes ?? {};
}

/** Attributes carried from a run to the next one of its chain (continue-as-new, retry, cron). */
export function carried(wf: WorkflowComponent, prev: StartedAttributes): StartedAttributes {
  const s = wf.state;
  const sa = s.searchAttributesBytes ? api.common.v1.SearchAttributes.decode(s.searchAttributesBytes) : null;
  const memo = s.memo ? api.common.v1.Memo.decode(s.memo) : null;
  return {
    workflowId: s.workflowId,
    workflowType: prev.workflowType ?? null,
    taskQueue: prev.taskQueue ?? null,
    input: prev.input ?? null,
    header: prev.header ?? null,
    workflowExecutionTimeout: prev.workflowExecutionTimeout ?? null,
    workflowRunTimeout: prev.workflowRunTimeout ?? null,
    workflowTaskTimeout: prev.workflowTaskTimeout ?? null,
    retryPolicy: prev.retryPolicy ?? null,
    // A retried cron run stays a cron run (SetupNewWorkflowForRetryOrCron copies it).
    cronSchedule: prev.cronSchedule ?? '',
    firstExecutionRunId: s.firstExecutionRunId,
    continuedExecutionRunId: s.runId,
    identity: prev.identity ?? '',
    searchAttributes: sa,
    memo,
    parentWorkflowNamespace: prev.parentWorkflowNamespace ?? '',
    parentWorkflowNamespaceId: prev.parentWorkflowNamespaceId ?? '',
    parentWorkflowExecution: prev.parentWorkflowExecution ?? null,
    parentInitiatedEventId: prev.parentInitiatedEventId ?? long(0),
    rootWorkflowExecution: prev.rootWorkflowExecution ?? null,
    priority: prev.priority ?? null,
    // The chain's completion callbacks move to the next run: only the run that ends it delivers them.
    completionCallbacks: prev.completionCallbacks ?? [],
  };
}
