import { ChasmError, ErrorCode, InvalidArgumentError } from '@chasm/core';
import { encodeMessage, temporalProto, type temporal } from '@chasm/matching';
import type { BatchOperationKind, BatchTarget } from '../batch/batch.js';
import { int64 } from '../batch/reset-point.js';

const batchApi = temporalProto.temporal.api.batch.v1;
const EXECUTION_TYPE_ACTIVITY = 2;
const MAX_ID_LENGTH = 1000;

/** A validated StartBatchOperation request: what the batch's state is built from. */
export interface CheckedStart {
  readonly jobId: string;
  readonly reason: string;
  readonly kind: BatchOperationKind;
  readonly operation: Uint8Array | null;
  readonly identity: string;
  readonly query: string;
  readonly executions: readonly BatchTarget[];
  /** 0: the server's rate. */
  readonly requestedRps: number;
}

/** Operations Temporal offers that this server does not run (yet), by request field. */
const UNSUPPORTED = [
  'updateWorkflowOptionsOperation',
  'unpauseActivitiesOperation',
  'resetActivitiesOperation',
  'updateActivityOptionsOperation',
  'cancelActivitiesOperation',
  'terminateActivitiesOperation',
  'deleteActivitiesOperation',
] as const;

const snake = (s: string): string => s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/**
 * Checks a StartBatchOperation request the way Temporal's frontend does, before anything is
 * stored: each refusal is INVALID_ARGUMENT naming the field.
 */
export function checkStartRequest(req: temporal.api.workflowservice.v1.IStartBatchOperationRequest): CheckedStart {
  const jobId = req.jobId ?? '';
  if (!jobId) throw new InvalidArgumentError('job_id', 'JobId is not set on request.');
  if (jobId.length > MAX_ID_LENGTH) throw new InvalidArgumentError('job_id', `JobId is too long (max ${MAX_ID_LENGTH}).`);
  const reason = req.reason ?? '';
  if (!reason) throw new InvalidArgumentError('reason', 'Reason is not set on request.');
  const rps = req.maxOperationsPerSecond ?? 0;
  if (!Number.isFinite(rps) || rps < 0) throw new InvalidArgumentError('max_operations_per_second', 'max_operations_per_second must not be negative.');

  const query = (req.visibilityQuery ?? '').trim();
  const executions = targets(req);
  if (query && executions.length > 0) {
    throw new InvalidArgumentError('visibility_query', 'visibility_query and executions are mutually exclusive.');
  }
  if (!query && executions.length === 0) {
    throw new InvalidArgumentError('visibility_query', 'Must provide one of visibility_query or executions.');
  }

  for (const field of UNSUPPORTED) {
    if (req[field]) {
      throw new ChasmError(
        ErrorCode.Unimplemented,
        `${snake(field)}: this server's batch operations support termination, cancellation, signal, deletion and reset only`,
        { field: snake(field) },
      );
    }
  }
  const op = operationOf(req);
  return { jobId, reason, ...op, query, executions, requestedRps: rps };
}

function operationOf(req: temporal.api.workflowservice.v1.IStartBatchOperationRequest): Pick<CheckedStart, 'kind' | 'operation' | 'identity'> {
  if (req.terminationOperation) {
    const m = batchApi.BatchOperationTermination.fromObject(req.terminationOperation);
    return { kind: 'terminate', operation: encodeMessage(batchApi.BatchOperationTermination, m), identity: m.identity };
  }
  if (req.cancellationOperation) {
    const m = batchApi.BatchOperationCancellation.fromObject(req.cancellationOperation);
    return { kind: 'cancel', operation: encodeMessage(batchApi.BatchOperationCancellation, m), identity: m.identity };
  }
  if (req.signalOperation) {
    const m = batchApi.BatchOperationSignal.fromObject(req.signalOperation);
    if (!m.signal) throw new InvalidArgumentError('signal_operation.signal', 'SignalName is not set on request.');
    return { kind: 'signal', operation: encodeMessage(batchApi.BatchOperationSignal, m), identity: m.identity };
  }
  if (req.deletionOperation) {
    const m = batchApi.BatchOperationDeletion.fromObject(req.deletionOperation);
    return { kind: 'delete', operation: encodeMessage(batchApi.BatchOperationDeletion, m), identity: m.identity };
  }
  if (req.resetOperation) {
    const m = checkReset(batchApi.BatchOperationReset.fromObject(req.resetOperation));
    return { kind: 'reset', operation: encodeMessage(batchApi.BatchOperationReset, m), identity: m.identity };
  }
  throw new InvalidArgumentError('operation', 'Batch operation is not set on request.');
}

const RESET_TYPE = temporalProto.temporal.api.enums.v1.ResetType;

/** The reset point must be one this server can find per run: first/last workflow task or an event id. */
function checkReset(m: temporal.api.batch.v1.BatchOperationReset): temporal.api.batch.v1.BatchOperationReset {
  if ((m.postResetOperations ?? []).length > 0) {
    throw new ChasmError(ErrorCode.Unimplemented, 'reset_operation.post_reset_operations: post-reset operations are not supported by this server', {
      field: 'reset_operation.post_reset_operations',
    });
  }
  const o = m.options;
  if (o) {
    if (o.buildId) {
      throw new ChasmError(ErrorCode.Unimplemented, 'reset_operation.options.build_id: resetting to a build id is not supported by this server', {
        field: 'reset_operation.options.build_id',
      });
    }
    const eventId = int64(o.workflowTaskId);
    if (!o.firstWorkflowTask && !o.lastWorkflowTask && eventId === 0) {
      throw new InvalidArgumentError('reset_operation.options', 'reset_operation.options: set first_workflow_task, last_workflow_task or workflow_task_id.');
    }
    if (!o.firstWorkflowTask && !o.lastWorkflowTask && eventId < 0) {
      throw new InvalidArgumentError('reset_operation.options.workflow_task_id', 'reset_operation.options.workflow_task_id must be positive.');
    }
    return m;
  }
  if (m.resetType !== RESET_TYPE.RESET_TYPE_FIRST_WORKFLOW_TASK && m.resetType !== RESET_TYPE.RESET_TYPE_LAST_WORKFLOW_TASK) {
    throw new InvalidArgumentError('reset_operation.reset_type', 'reset_operation: set options or reset_type (FIRST or LAST workflow task).');
  }
  return m;
}

function targets(req: temporal.api.workflowservice.v1.IStartBatchOperationRequest): BatchTarget[] {
  const out: BatchTarget[] = [];
  (req.executions ?? []).forEach((e, i) => {
    if (!e.workflowId) throw new InvalidArgumentError(`executions[${i}].workflow_id`, 'WorkflowId is not set.');
    out.push({ workflowId: e.workflowId, runId: e.runId ?? '' });
  });
  (req.targetExecutions ?? []).forEach((e, i) => {
    if (e.type === EXECUTION_TYPE_ACTIVITY) {
      throw new InvalidArgumentError(`target_executions[${i}].type`, 'batch operations on standalone activities are not supported by this server.');
    }
    if (!e.businessId) throw new InvalidArgumentError(`target_executions[${i}].business_id`, 'business_id is not set.');
    out.push({ workflowId: e.businessId, runId: e.runId ?? '' });
  });
  return out;
}

/** Terminate, cancel and signal apply to running executions only (Temporal adds the same filter); delete and reset to any. */
export function listQueryOf(kind: BatchOperationKind, query: string): string {
  if (!query || kind === 'delete' || kind === 'reset') return query;
  return `(${query}) AND (ExecutionStatus = 'Running')`;
}
