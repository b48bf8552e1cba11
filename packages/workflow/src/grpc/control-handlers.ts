/**
 * The RPCs that change a running workflow from outside: SignalWorkflowExecution,
 * RequestCancelWorkflowExecution, TerminateWorkflowExecution, DeleteWorkflowExecution and
 * ResetStickyTaskQueue. Apart from the start, workflow-task and read RPCs, which share none of
 * their code.
 */
import type { RpcHandlerSet } from '@chasm/core';
import type { temporal } from '../proto.js';
import { limitsFor } from '../config.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { enforceHistoryLimits, historyMark, HistoryLimitExceeded } from '../workflow/history-limits.js';
import { HistoryWriter } from '../workflow/history-writer.js';
import { requestCancelWorkflow, terminateWorkflow } from '../workflow/mutable-state.js';
import { enforceStateSizeLimit } from '../workflow/state-size-limit.js';
import { historyWarn, terminateOverLimit, warnLargeInput } from './limit-warnings.js';
import { checkChain, closed, requireExecution, signalRun, target } from './run-target.js';
import { checkBlob, checkHeader, checkId, checkIdentity, checkRequestId, checkSignalName } from './validate.js';

/** Signal, cancel, terminate, delete and reset-sticky for one run. */
export function controlHandlers(deps: WorkflowDeps): RpcHandlerSet['methods'] {
  const { engine, namespaces, config } = deps;

  return {
    async SignalWorkflowExecution(req: temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '');
      const exec = requireExecution(req.workflowExecution);
      checkId('workflow_execution.workflow_id', exec.workflowId, config.maxIdLength, { name: 'WorkflowId' });
      checkId('workflow_execution.run_id', exec.runId, config.maxIdLength, { name: 'RunId' });
      const signalName = checkSignalName('signal_name', req.signalName, config);
      const requestId = checkRequestId('request_id', req.requestId, config);
      const identity = checkIdentity('identity', req.identity, config);
      const limits = limitsFor(config, req.namespace ?? '');
      checkBlob('input', req.input, limits);
      checkHeader('header', req.header, limits);
      warnLargeInput(deps, req.namespace ?? '', exec.workflowId, limits, { input: req.input });
      const t = target(namespaceId, exec.workflowId, exec.runId);
      try {
        await engine.update(t, (wf, ctx) => {
          if (wf.state.status !== 'running') throw closed();
          const mark = historyMark(wf);
          signalRun(wf, ctx, { signalName, input: req.input, header: req.header, identity, requestId });
          enforceHistoryLimits(wf, mark, limits, historyWarn(deps, wf));
          enforceStateSizeLimit(wf, ctx, limits, historyWarn(deps, wf));
        });
      } catch (e) {
        if (e instanceof HistoryLimitExceeded) throw await terminateOverLimit(deps, t, e);
        throw e;
      }
      return {};
    },

    async RequestCancelWorkflowExecution(req: temporal.api.workflowservice.v1.IRequestCancelWorkflowExecutionRequest) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '');
      const exec = requireExecution(req.workflowExecution);
      await engine.update(target(namespaceId, exec.workflowId, exec.runId), (wf, ctx) => {
        checkChain(wf, req.firstExecutionRunId);
        // Idempotent: a second request, or one against a closed run, succeeds and does nothing.
        const w = new HistoryWriter(wf, ctx);
        requestCancelWorkflow(w, req.reason ?? '', req.identity ?? '');
        w.commit();
      });
      return {};
    },

    async TerminateWorkflowExecution(req: temporal.api.workflowservice.v1.ITerminateWorkflowExecutionRequest) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '');
      const exec = requireExecution(req.workflowExecution);
      await engine.update(target(namespaceId, exec.workflowId, exec.runId), (wf, ctx) => {
        checkChain(wf, req.firstExecutionRunId);
        if (wf.state.status !== 'running') throw closed();
        const w = new HistoryWriter(wf, ctx);
        terminateWorkflow(w, req.reason ?? '', req.details, req.identity ?? '');
        w.commit();
      });
      return {};
    },

    async DeleteWorkflowExecution(req: temporal.api.workflowservice.v1.IDeleteWorkflowExecutionRequest) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '');
      const exec = requireExecution(req.workflowExecution);
      await engine.delete(target(namespaceId, exec.workflowId, exec.runId), 'Delete workflow execution');
      return {};
    },

    async ResetStickyTaskQueue(req: temporal.api.workflowservice.v1.IResetStickyTaskQueueRequest) {
      const namespaceId = await namespaces.idOf(req.namespace ?? '');
      const exec = requireExecution(req.execution);
      await engine.update(target(namespaceId, exec.workflowId, exec.runId), (wf) => {
        wf.state.sticky = null;
      });
      return {};
    },
  };
}
