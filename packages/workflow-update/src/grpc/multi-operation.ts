import {
  ChasmError,
  ErrorCode,
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  NotFoundError,
  type Engine,
  type NamespaceResolver,
  type RpcCallContext,
} from '@chasm/core';
import { callbackAdmission, limitsFor, planWorkflowStart, Workflow, type SearchAttributeRegistry, type WorkflowDeps, type WorkflowStartPlan } from '@chasm/workflow';
import type { WorkflowUpdateConfig } from '../config.js';
import { api, typeUrl, type temporal } from '../proto.js';
import { admitUpdate, findUpdate } from '../update/registry.js';
import { validateUpdateRequest, type ValidUpdate } from './update-request.js';
import type { UpdateService } from './update-service.js';

type MultiOpRequest = temporal.api.workflowservice.v1.IExecuteMultiOperationRequest;
type MultiOpResponse = temporal.api.workflowservice.v1.IExecuteMultiOperationResponse;

/** gRPC codes for the per-operation statuses inside MultiOperationExecutionFailure. */
const GRPC_CODE: Record<string, number> = {
  [ErrorCode.Canceled]: 1,
  [ErrorCode.InvalidArgument]: 3,
  [ErrorCode.DeadlineExceeded]: 4,
  [ErrorCode.NotFound]: 5,
  [ErrorCode.AlreadyExists]: 6,
  [ErrorCode.ResourceExhausted]: 8,
  [ErrorCode.FailedPrecondition]: 9,
  [ErrorCode.Unimplemented]: 12,
  [ErrorCode.Internal]: 13,
  [ErrorCode.Unavailable]: 14,
};
const ABORTED = 10;

/**
 * Temporal's error shape for a failed multi-operation: the failing operation's status, the other
 * one "aborted", in a MultiOperationExecutionFailure detail. The outer code is the failing
 * operation's own, so the TS client's ALREADY_EXISTS check (WorkflowExecutionAlreadyStartedError)
 * and its detail unwrapping both see the real cause.
 */
export function multiOperationError(index: 0 | 1, e: unknown): unknown {
  if (!ChasmError.is(e)) return e;
  const details: { type_url: string; value: Uint8Array }[] = [];
  if (e instanceof ExecutionAlreadyStartedError) {
    const failure = api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure;
    details.push({
      type_url: typeUrl('temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure'),
      value: failure.encode({ startRequestId: e.currentRequestId, runId: e.currentRunId }).finish(),
    });
  }
  const failed = { code: GRPC_CODE[e.code] ?? 13, message: e.message, details };
  const aborted = {
    code: ABORTED,
    message: 'Operation was aborted.',
    details: [{ type_url: typeUrl('temporal.api.failure.v1.MultiOperationExecutionAborted'), value: new Uint8Array(0) }],
  };
  return new ChasmError(e.code, e.message, {
    statusDetail: {
      type: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
      value: { statuses: index === 0 ? [failed, aborted] : [aborted, failed] },
    },
  });
}

async function asOperation<T>(index: 0 | 1, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw multiOperationError(index, e);
  }
}

export interface MultiOperationDeps {
  readonly engine: Engine;
  readonly namespaces: NamespaceResolver;
  readonly workflow: WorkflowDeps;
  readonly searchAttributes: SearchAttributeRegistry;
  readonly config: WorkflowUpdateConfig;
}

/**
 * ExecuteMultiOperation = Update-with-Start (Temporal's service/history/api/multioperation):
 * apply the update to the running workflow when the conflict policy allows it (or the run was
 * started by this very request, or already knows the update id); otherwise start a new run with
 * the update admitted in the start transaction, so its first workflow task carries the update.
 */
export class MultiOperationHandler {
  constructor(
    private readonly deps: MultiOperationDeps,
    private readonly updates: UpdateService,
  ) {}

  async execute(req: MultiOpRequest, call: RpcCallContext): Promise<MultiOpResponse> {
    const namespace = req.namespace ?? '';
    const namespaceId = await this.deps.namespaces.idOf(namespace);
    const ops = req.operations ?? [];
    if (ops.length !== 2) throw new InvalidArgumentError('operations', 'Operations have to be exactly [Start, Update].');
    const startReq = ops[0]?.startWorkflow;
    const updateReq = ops[1]?.updateWorkflow;
    if (!startReq) throw new InvalidArgumentError('operations[0].start_workflow', 'the first operation must be StartWorkflow.');
    if (!updateReq) throw new InvalidArgumentError('operations[1].update_workflow', 'the second operation must be UpdateWorkflow.');

    const plan = await asOperation(0, async () => {
      if (startReq.namespace && startReq.namespace !== namespace) {
        throw new InvalidArgumentError('operations[0].start_workflow.namespace', "Operation namespace did not match request's namespace.");
      }
      if (startReq.cronSchedule) throw new InvalidArgumentError('operations[0].start_workflow.cron_schedule', 'CronSchedule is not allowed.');
      if (startReq.workflowStartDelay) {
        throw new InvalidArgumentError('operations[0].start_workflow.workflow_start_delay', 'WorkflowStartDelay is not supported.');
      }
      if (startReq.requestEagerExecution) {
        throw new InvalidArgumentError('operations[0].start_workflow.request_eager_execution', 'RequestEagerExecution is not supported.');
      }
      const plan = (sa: typeof startReq.searchAttributes) =>
        planWorkflowStart(namespaceId, namespace, { ...startReq, searchAttributes: sa ?? null }, this.deps.workflow.config, callbackAdmission(this.deps.workflow, call));
      plan(startReq.searchAttributes);
      // The stored attributes carry their registered types (Temporal's ApplyTypeMap).
      return plan(await this.deps.searchAttributes.validate(namespaceId, startReq.searchAttributes));
    });
    const update = await asOperation(1, () => {
      if (updateReq.namespace && updateReq.namespace !== namespace) {
        throw new InvalidArgumentError('operations[1].update_workflow.namespace', "Operation namespace did not match request's namespace.");
      }
      if (updateReq.workflowExecution?.workflowId !== plan.workflowId) {
        throw new InvalidArgumentError('operations[1].update_workflow.workflow_execution.workflow_id', 'WorkflowId is not consistent with previous operation(s).');
      }
      if (updateReq.workflowExecution?.runId) {
        throw new InvalidArgumentError('operations[1].update_workflow.workflow_execution.run_id', 'RunId is not allowed.');
      }
      if (updateReq.firstExecutionRunId) {
        throw new InvalidArgumentError('operations[1].update_workflow.first_execution_run_id', 'FirstExecutionRunId is not allowed.');
      }
      return validateUpdateRequest(updateReq, 'operations[1].update_workflow', limitsFor(this.deps.workflow.config, namespace).blobSizeLimitBytes);
    });

    // Two rounds at most: a start that loses a race to another start finds that run next time.
    for (let round = 0; ; round++) {
      const current = await this.currentRun(namespaceId, plan.workflowId, update.updateId);
      if (current) {
        const byThisRequest = current.startRequestId === plan.requestId;
        if (current.running && (plan.policies.conflictPolicy === 'useExisting' || byThisRequest || current.knowsUpdate)) {
          return this.updateExisting(namespaceId, current.runId, byThisRequest, update, call);
        }
        // A closed run that already holds this update's outcome answers it; nothing new starts.
        if (!current.running && current.hasOutcome) return this.updateExisting(namespaceId, current.runId, false, update, call);
        if (current.running && !plan.policies.terminateExisting) {
          throw multiOperationError(0, new ExecutionAlreadyStartedError('Workflow execution is already running', current.runId, current.startRequestId));
        }
        if (current.running) await asOperation(0, () => this.terminate(namespaceId, plan.workflowId, current.runId));
      }
      try {
        const r = await this.startWithUpdate(namespaceId, plan, update, current?.running === true);
        if (r.created) this.deps.workflow.metrics?.started.inc();
        return this.updateExisting(namespaceId, r.runId, true, update, call);
      } catch (e) {
        if (e instanceof ExecutionAlreadyStartedError && round === 0) continue;
        throw multiOperationError(0, e);
      }
    }
  }

  private async currentRun(namespaceId: string, workflowId: string, updateId: string) {
    try {
      return await this.deps.engine.read({ type: Workflow, namespaceId, businessId: workflowId }, (wf) => {
        const u = findUpdate(wf, updateId);
        return {
          runId: wf.state.runId,
          running: wf.state.status === 'running',
          startRequestId: wf.state.startRequestId,
          knowsUpdate: u !== undefined,
          hasOutcome: u?.state.outcome != null,
        };
      });
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** TERMINATE_EXISTING: the running run ends (WorkflowExecutionTerminated) before the new one starts. */
  private async terminate(namespaceId: string, workflowId: string, runId: string): Promise<void> {
    await this.deps.engine.update({ type: Workflow, namespaceId, businessId: workflowId, runId }, (wf, ctx) => {
      if (wf.state.status === 'running') Workflow.terminate?.(wf, ctx, 'TerminateExisting WorkflowIdConflictPolicy');
    });
  }

  private startWithUpdate(namespaceId: string, plan: WorkflowStartPlan, update: ValidUpdate, replacing: boolean) {
    return this.deps.engine.start(
      Workflow,
      { namespaceId, businessId: plan.workflowId },
      {
        requestId: plan.requestId,
        // The run we just terminated must not count against the reuse policy.
        reusePolicy: replacing ? 'allowDuplicate' : plan.policies.reusePolicy,
        conflictPolicy: 'fail',
        init: (ctx) => plan.init(ctx),
        run: (wf, ctx) => {
          plan.run(wf, ctx);
          // Admitted in the start transaction: the first workflow task delivers it.
          admitUpdate(wf, ctx, update.request, '', this.deps.config);
        },
      },
    );
  }

  private async updateExisting(namespaceId: string, runId: string, started: boolean, update: ValidUpdate, call: RpcCallContext): Promise<MultiOpResponse> {
    const updateWorkflow = await asOperation(1, () => this.updates.update(namespaceId, { ...update, runId }, call));
    return {
      responses: [
        { startWorkflow: { runId, started, status: api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING } },
        { updateWorkflow },
      ],
    };
  }
}
