import { InvalidArgumentError, WORKFLOW_SERVICE, type NamespaceResolver, type RpcCallContext, type RpcHandlerSet } from '@chasm/core';
import { limitsFor, type WorkflowConfig } from '@chasm/workflow';
import { Stage, type temporal } from '../proto.js';
import type { MultiOperationHandler } from './multi-operation.js';
import { validateUpdateRequest } from './update-request.js';
import type { UpdateService } from './update-service.js';


/** The Workflow Update methods of WorkflowService. */
export function workflowUpdateRpcHandlers(
  namespaces: NamespaceResolver,
  updates: UpdateService,
  multiOp: MultiOperationHandler,
  workflowConfig: WorkflowConfig,
): RpcHandlerSet {
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async UpdateWorkflowExecution(req: temporal.api.workflowservice.v1.IUpdateWorkflowExecutionRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const blobLimit = limitsFor(workflowConfig, req.namespace ?? '').blobSizeLimitBytes;
        return updates.update(namespaceId, validateUpdateRequest(req, '', blobLimit), call);
      },

      async PollWorkflowExecutionUpdate(req: temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        if (!req.updateRef?.workflowExecution?.workflowId) {
          throw new InvalidArgumentError('update_ref.workflow_execution.workflow_id', 'WorkflowId is not set on request.');
        }
        if (!req.updateRef.updateId) throw new InvalidArgumentError('update_ref.update_id', 'UpdateId is not set on request.');
        const stage = req.waitPolicy?.lifecycleStage ?? 0;
        if (stage < Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED || stage > Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED) {
          throw new InvalidArgumentError('wait_policy.lifecycle_stage', `unknown lifecycle stage ${stage}`);
        }
        return updates.poll(namespaceId, req, call);
      },

      async ExecuteMultiOperation(req: temporal.api.workflowservice.v1.IExecuteMultiOperationRequest, call: RpcCallContext) {
        return multiOp.execute(req, call);
      },
    },
  };
}
