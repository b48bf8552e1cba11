import { InvalidArgumentError } from '@chasm/core';
import { msToTimestamp } from '@chasm/matching';
import type { temporal } from '../proto.js';
import { Workflow } from '../workflow/workflow.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { pauseRun, setVersioningOverride, unpauseRun, type PauseRequest } from '../workflow/pause-run.js';
import { checkId, checkIdentity } from './validate.js';

/** The mask paths UpdateWorkflowExecutionOptions takes (proto names, as Temporal's field masks). */
const OPTION_PATHS = new Set(['versioning_override']);

/**
 * PauseWorkflowExecution, UnpauseWorkflowExecution and UpdateWorkflowExecutionOptions. Every
 * request check runs before the run is touched; the checks that need the run (open, paused) run
 * inside the update before anything changes, so a refused request stores nothing.
 */
export function workflowOptionsHandlers(deps: WorkflowDeps) {
  const { engine, namespaces, config } = deps;

  const ref = async (namespace: string | null | undefined, workflowId: string, runId: string) => ({
    type: Workflow,
    namespaceId: await namespaces.idOf(namespace ?? ''),
    businessId: workflowId,
    ...(runId ? { runId } : {}),
  });

  const pauseArgs = (req: temporal.api.workflowservice.v1.IPauseWorkflowExecutionRequest): { workflowId: string; runId: string; p: PauseRequest } => {
    const workflowId = checkId('workflow_id', req.workflowId, config.maxIdLength, { name: 'WorkflowId', notSet: 'WorkflowId is not set on request.' });
    const runId = checkId('run_id', req.runId, config.maxIdLength, { name: 'RunId' });
    const identity = checkIdentity('identity', req.identity, config);
    const reason = checkId('reason', req.reason, config.maxIdLength, { name: 'Reason', tooLong: 'reason is too long.' });
    const requestId = checkId('request_id', req.requestId, config.maxIdLength, { name: 'RequestId', tooLong: 'request id is too long.' });
    return { workflowId, runId, p: { identity, reason, requestId } };
  };

  return {
    async PauseWorkflowExecution(req: temporal.api.workflowservice.v1.IPauseWorkflowExecutionRequest) {
      const { workflowId, runId, p } = pauseArgs(req);
      await engine.update(await ref(req.namespace, workflowId, runId), (wf, ctx) => pauseRun(wf, ctx, p));
      return {};
    },

    async UnpauseWorkflowExecution(req: temporal.api.workflowservice.v1.IUnpauseWorkflowExecutionRequest) {
      const { workflowId, runId, p } = pauseArgs(req);
      await engine.update(await ref(req.namespace, workflowId, runId), (wf, ctx) => unpauseRun(wf, ctx, p));
      return {};
    },

    async UpdateWorkflowExecutionOptions(req: temporal.api.workflowservice.v1.IUpdateWorkflowExecutionOptionsRequest) {
      const e = req.workflowExecution;
      if (!e) throw new InvalidArgumentError('workflow_execution', 'Execution is not set on request.');
      const workflowId = checkId('workflow_execution.workflow_id', e.workflowId, config.maxIdLength, { name: 'WorkflowId', notSet: 'WorkflowId is not set on request.' });
      const runId = checkId('workflow_execution.run_id', e.runId, config.maxIdLength, { name: 'RunId' });
      const identity = checkIdentity('identity', req.identity, config);
      if (!req.workflowExecutionOptions) throw new InvalidArgumentError('workflow_execution_options', 'WorkflowExecutionOptions is not set on request.');
      const paths = req.updateMask?.paths ?? [];
      if (paths.length === 0) throw new InvalidArgumentError('update_mask', 'UpdateMask is not set on request.');
      for (const p of paths) {
        if (!OPTION_PATHS.has(p)) throw new InvalidArgumentError('update_mask', `update_mask path "${p}" is not a supported workflow execution option.`);
      }
      // The only path is versioning_override: the mask names it, so an absent value clears it.
      const override = req.workflowExecutionOptions.versioningOverride ?? null;
      const r = await engine.update(await ref(req.namespace, workflowId, runId), (wf, ctx) => ({
        override: setVersioningOverride(wf, ctx, override, identity),
        time: ctx.now.getTime(),
      }));
      return {
        workflowExecutionOptions: r.output.override ? { versioningOverride: r.output.override } : {},
        updateTime: msToTimestamp(r.output.time),
      };
    },
  };
}
