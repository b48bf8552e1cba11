import { ChasmError, ErrorCode, FailedPreconditionError, NotFoundError, ResourceExhaustedError } from '@chasm/core';

/** Temporal's messages, so callers (and SDK error mapping) see what they would see there. */
export const workflowCompleted = (): NotFoundError => new NotFoundError('workflow execution already completed');
/**
 * An unaccepted update whose run closed: NOT_FOUND, as Temporal (older servers said "workflow
 * execution already completed", current ones "update aborted by closing workflow"; both here).
 */
export const abortedByClose = (): NotFoundError => new NotFoundError('workflow execution already completed: update aborted by closing workflow');
export const updateNotFound = (updateId: string): NotFoundError => new NotFoundError(`update "${updateId}" not found`);

/** history.maxInFlightUpdates reached: RESOURCE_EXHAUSTED (clients retry it). */
export class InFlightLimitError extends ResourceExhaustedError {
  constructor(readonly limit: number) {
    super(`limit on number of concurrent in-flight updates has been reached (${limit})`, 'CONCURRENT_LIMIT');
  }
}

/** history.maxInFlightUpdatePayloads reached: RESOURCE_EXHAUSTED, like the count limit. */
export class InFlightPayloadLimitError extends ResourceExhaustedError {
  constructor(readonly limit: number) {
    super(`limit on the total size of concurrent in-flight update payloads has been reached (${limit} bytes)`, 'CONCURRENT_LIMIT');
  }
}

/** history.maxTotalUpdates reached: FAILED_PRECONDITION (retrying cannot help; continue-as-new does). */
export class TotalLimitError extends FailedPreconditionError {
  constructor(readonly limit: number) {
    super(`limit on number of total updates has been reached (${limit})`);
  }
}

/** The workflow task keeps failing: the update could never be delivered (Temporal's WorkflowNotReady). */
export const workflowNotReady = (): ChasmError =>
  new ChasmError(ErrorCode.FailedPrecondition, 'Unable to perform workflow execution update due to Workflow Task in failed state.', {
    statusDetail: { type: 'temporal.api.errordetails.v1.WorkflowNotReadyFailure', value: {} },
  });
