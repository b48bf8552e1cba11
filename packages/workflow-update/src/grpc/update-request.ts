import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@chasm/core';
import { api, Stage, type temporal, type UpdateRequest } from '../proto.js';

type UpdateWorkflowRequest = temporal.api.workflowservice.v1.IUpdateWorkflowExecutionRequest;

/** What UpdateWorkflowExecution acts on, after the frontend's validation and defaults. */
export interface ValidUpdate {
  readonly workflowId: string;
  /** '' = the current run. */
  readonly runId: string;
  readonly firstExecutionRunId: string;
  readonly request: UpdateRequest;
  readonly updateId: string;
  /** ACCEPTED or COMPLETED. */
  readonly waitStage: number;
}

const MAX_ID_LENGTH = 1000;

/**
 * Temporal's prepareUpdateWorkflowRequest: a missing update id is generated, the update name is
 * required, the wait stage defaults to COMPLETED and ADMITTED is refused (it is not implemented
 * there either). Every error names the request field. The update's arguments are held by the
 * run until the update completes and then written to history, so they are bounded like any
 * other workflow payload: by the namespace's blob size limit (limit.blobSize.error), before
 * anything is stored.
 */
export function validateUpdateRequest(req: UpdateWorkflowRequest, field = '', blobSizeLimitBytes = Number.POSITIVE_INFINITY): ValidUpdate {
  const f = (name: string): string => (field ? `${field}.${name}` : name);
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId) throw new InvalidArgumentError(f('workflow_execution.workflow_id'), 'WorkflowId is not set on request.');
  if (workflowId.length > MAX_ID_LENGTH) throw new InvalidArgumentError(f('workflow_execution.workflow_id'), 'WorkflowId exceeds length limit.');
  if (!req.request) throw new InvalidArgumentError(f('request'), 'Update request is not set on request.');
  const name = req.request.input?.name ?? '';
  if (!name) throw new InvalidArgumentError(f('request.input.name'), 'Update name is not set on request.');
  const args = req.request.input?.args;
  if (args && Number.isFinite(blobSizeLimitBytes)) {
    const size = api.common.v1.Payloads.encode(args).finish().length;
    if (size > blobSizeLimitBytes) {
      throw new InvalidArgumentError(f('request.input.args'), `Update arguments exceed size limit: ${size} bytes, the limit is ${blobSizeLimitBytes} bytes.`);
    }
  }
  const updateId = req.request.meta?.updateId || randomUUID();
  if (updateId.length > MAX_ID_LENGTH) throw new InvalidArgumentError(f('request.meta.update_id'), 'UpdateId exceeds length limit.');
  const stage = req.waitPolicy?.lifecycleStage ?? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
  if (stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
    throw new InvalidArgumentError(
      f('wait_policy.lifecycle_stage'),
      'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED is not implemented: wait for ACCEPTED or COMPLETED.',
    );
  }
  if (
    stage !== Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED &&
    stage !== Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED &&
    stage !== Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
  ) {
    throw new InvalidArgumentError(f('wait_policy.lifecycle_stage'), `unknown lifecycle stage ${stage}`);
  }
  const waitStage = stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED ? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED : stage;
  return {
    workflowId,
    runId: req.workflowExecution?.runId ?? '',
    firstExecutionRunId: req.firstExecutionRunId ?? '',
    request: { ...req.request, meta: { ...req.request.meta, updateId } },
    updateId,
    waitStage,
  };
}
