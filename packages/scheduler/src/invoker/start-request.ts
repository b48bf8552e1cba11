import { internalCallback, type InternalCallbackTarget } from '@chasm/core';
import { decodePayloads, decodeFailure, jsonPayload, temporalProto, type temporal } from '@chasm/matching';
import type { BufferedStart } from './invoker.js';
import { rfc3339Seconds, schedulerIdentity } from './start-identity.js';

const { WorkflowIdReusePolicy } = temporalProto.temporal.api.enums.v1;

export interface StartContext {
  readonly namespace: string;
  readonly scheduleId: string;
  readonly action: temporal.api.workflow.v1.INewWorkflowExecutionInfo;
  /** Encoded Payloads / Failure of the last completion. */
  readonly lastSuccess: Uint8Array | null;
  readonly lastFailure: Uint8Array | null;
  /** Where the workflow's completion callback goes (this schedule's run). */
  readonly callbackTarget: Omit<InternalCallbackTarget, 'data'>;
}

/**
 * The StartWorkflowExecution request for one buffered start (reference A.7): the action's fields,
 * the workflow id with the nominal time, the deterministic request id, the scheduled-by search
 * attributes, the last completion, and a completion callback back to this schedule.
 */
export function startWorkflowRequest(c: StartContext, b: BufferedStart): temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest {
  const a = c.action;
  const lastResult = decodePayloads(c.lastSuccess);
  const lastFailure = decodeFailure(c.lastFailure);
  return {
    namespace: c.namespace,
    workflowId: b.workflowId,
    workflowType: a.workflowType ?? null,
    taskQueue: a.taskQueue ?? null,
    input: a.input ?? null,
    workflowExecutionTimeout: a.workflowExecutionTimeout ?? null,
    workflowRunTimeout: a.workflowRunTimeout ?? null,
    workflowTaskTimeout: a.workflowTaskTimeout ?? null,
    identity: schedulerIdentity(c.namespace, c.scheduleId),
    requestId: b.requestId,
    // Automatic starts never run a nominal time twice; manual ones (backfill, trigger) may.
    workflowIdReusePolicy: b.manual ? WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE : WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
    retryPolicy: a.retryPolicy ?? null,
    memo: a.memo ?? null,
    searchAttributes: {
      indexedFields: {
        ...(a.searchAttributes?.indexedFields ?? {}),
        TemporalScheduledStartTime: jsonPayload(rfc3339Seconds(b.nominalTime), 'Datetime'),
        TemporalScheduledById: jsonPayload(c.scheduleId, 'Keyword'),
      },
    },
    header: a.header ?? null,
    userMetadata: a.userMetadata ?? null,
    priority: a.priority ?? null,
    lastCompletionResult: lastResult ?? { payloads: [] },
    continuedFailure: lastFailure,
    completionCallbacks: [{ nexus: internalCallback({ ...c.callbackTarget, data: b.requestId }) }],
  };
}
