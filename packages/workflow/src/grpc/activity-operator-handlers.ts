import { InvalidArgumentError } from '@chasm/core';
import type { temporal } from '../proto.js';
import {
  applyOptions,
  activityOptionsProto,
  mergedOptions,
  originalOptions,
  parseUpdateMask,
  pauseActivity,
  resetActivity,
  selectActivities,
  unpauseActivity,
  type ActivitySelector,
} from '../activity/activity-operator.js';
import { Workflow } from '../workflow/workflow.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { checkDuration, checkId, checkIdentity } from './validate.js';

/**
 * PauseActivity, UnpauseActivity, ResetActivity and UpdateActivityOptions: operator commands on
 * the activities of a workflow run. Every check of the request runs before the run is touched;
 * the checks that need the run (open, activity pending, options valid for it) run inside the
 * update before anything changes, so a refused request stores nothing.
 */
export function activityOperatorHandlers(deps: WorkflowDeps) {
  const { engine, namespaces, config } = deps;

  const execution = (e: temporal.api.common.v1.IWorkflowExecution | null | undefined): { workflowId: string; runId: string } => {
    if (!e) throw new InvalidArgumentError('execution', 'Execution is not set on request.');
    const workflowId = checkId('execution.workflow_id', e.workflowId, config.maxIdLength, { name: 'WorkflowId', notSet: 'WorkflowId is not set on request.' });
    const runId = checkId('execution.run_id', e.runId, config.maxIdLength, { name: 'RunId' });
    return { workflowId, runId };
  };

  const selector = (req: { id?: string | null; type?: string | null; matchAll?: boolean | null }, all: boolean | null | undefined): ActivitySelector => {
    if (req.id) return { id: checkId('id', req.id, config.maxIdLength, { name: 'ActivityId' }) };
    if (req.type) return { type: checkId('type', req.type, config.maxIdLength, { name: 'ActivityType' }) };
    if (all) return { all: true };
    throw new InvalidArgumentError('activity', 'Either activity id or activity type must be provided.');
  };

  const run = async (namespace: string | null | undefined, e: { workflowId: string; runId: string }) => ({
    type: Workflow,
    namespaceId: await namespaces.idOf(namespace ?? ''),
    businessId: e.workflowId,
    ...(e.runId ? { runId: e.runId } : {}),
  });

  return {
    async PauseActivity(req: temporal.api.workflowservice.v1.IPauseActivityRequest) {
      const exec = execution(req.execution);
      const sel = selector(req, false);
      const identity = checkIdentity('identity', req.identity, config);
      await engine.update(await run(req.namespace, exec), (wf, ctx) => {
        for (const a of selectActivities(wf, sel)) pauseActivity(a, ctx, { identity, reason: req.reason ?? '' });
      });
      return {};
    },

    async UnpauseActivity(req: temporal.api.workflowservice.v1.IUnpauseActivityRequest) {
      const exec = execution(req.execution);
      const sel = selector(req, req.unpauseAll);
      const jitterMs = checkDuration('jitter', req.jitter, 'Invalid Jitter.');
      await engine.update(await run(req.namespace, exec), (wf, ctx) => {
        for (const a of selectActivities(wf, sel)) {
          unpauseActivity(a, ctx, { resetAttempts: !!req.resetAttempts, resetHeartbeat: !!req.resetHeartbeat, jitterMs });
        }
      });
      return {};
    },

    async ResetActivity(req: temporal.api.workflowservice.v1.IResetActivityRequest) {
      const exec = execution(req.execution);
      const sel = selector(req, req.matchAll);
      const jitterMs = checkDuration('jitter', req.jitter, 'Invalid Jitter.');
      await engine.update(await run(req.namespace, exec), (wf, ctx) => {
        for (const a of selectActivities(wf, sel)) {
          resetActivity(wf, a, ctx, {
            resetHeartbeat: !!req.resetHeartbeat,
            keepPaused: !!req.keepPaused,
            restoreOriginalOptions: !!req.restoreOriginalOptions,
            jitterMs,
          });
        }
      });
      return {};
    },

    async UpdateActivityOptions(req: temporal.api.workflowservice.v1.IUpdateActivityOptionsRequest) {
      const exec = execution(req.execution);
      const sel = selector(req, req.matchAll);
      const paths = parseUpdateMask(req.updateMask);
      if (req.restoreOriginal) {
        if (paths.length > 0) throw new InvalidArgumentError('update_mask', 'Both UpdateMask and RestoreOriginal are provided');
      } else {
        if (!req.activityOptions) throw new InvalidArgumentError('activity_options', 'ActivityOptions are not provided');
        if (paths.length === 0) throw new InvalidArgumentError('update_mask', 'UpdateMask is not provided');
      }
      const r = await engine.update(await run(req.namespace, exec), (wf, ctx) => {
        const selected = selectActivities(wf, sel);
        // Every activity's new options are computed (and checked) before any is changed.
        const next = selected.map((a) => (req.restoreOriginal ? originalOptions(wf, a) : mergedOptions(wf, a, req.activityOptions ?? {}, paths, config.maxIdLength)));
        selected.forEach((a, i) => applyOptions(a, ctx, next[i]!));
        return activityOptionsProto(selected[selected.length - 1]!.state);
      });
      return { activityOptions: r.output };
    },
  };
}
