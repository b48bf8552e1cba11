import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@chasm/core';
import { Enums, type HistoryEvent, type temporal } from '../proto.js';
import { HistoryWriter, readHistory } from '../workflow/history-writer.js';
import { initResetRun, readResetBase, terminateForReset, writeResetRun, type ResetRunSpec } from '../workflow/reset-run.js';
import type { ReplayedRun } from '../workflow/replay/replay-state.js';
import { Workflow } from '../workflow/workflow.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { checkId, checkRequestId } from './validate.js';

type Request = temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest;
const Exclude = Enums.ResetReapplyExcludeType;
const ReapplyType = Enums.ResetReapplyType;

/**
 * Temporal's GetResetReapplyExcludeTypes: the deprecated reset_reapply_type says what to include
 * (SIGNAL: signals only, NONE: nothing), reset_reapply_exclude_types what to leave out.
 */
export function reapplyExclusions(req: Pick<Request, 'resetReapplyType' | 'resetReapplyExcludeTypes'>): { signals: boolean; updates: boolean } {
  const types = req.resetReapplyExcludeTypes ?? [];
  const only = req.resetReapplyType ?? 0;
  return {
    signals: only === ReapplyType.RESET_REAPPLY_TYPE_NONE || types.includes(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL),
    updates:
      only === ReapplyType.RESET_REAPPLY_TYPE_NONE ||
      only === ReapplyType.RESET_REAPPLY_TYPE_SIGNAL ||
      types.includes(Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE),
  };
}

/**
 * Temporal's reapplyEvents: signals, and updates the run admitted or accepted (an Accepted event
 * without its request follows an Admitted one, which already carries it).
 */
export function eventsToReapply(tail: readonly HistoryEvent[], excluded: { signals: boolean; updates: boolean }): HistoryEvent[] {
  return tail.filter((e) => {
    if (e.workflowExecutionSignaledEventAttributes) return !excluded.signals;
    if (e.workflowExecutionUpdateAdmittedEventAttributes) return !excluded.updates;
    if (e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest) return !excluded.updates;
    return false;
  });
}

const target = (namespaceId: string, workflowId: string, runId?: string) => ({
  type: Workflow,
  namespaceId,
  businessId: workflowId,
  ...(runId ? { runId } : {}),
});

/**
 * ResetWorkflowExecution (Temporal's resetworkflow/api.go and ndc/workflow_resetter.go): checks
 * the reset point against the base run, answers a retried request with the run it created
 * (request_id is the new run's create request id), terminates the current run if it is running,
 * then starts the new run from the base run's history up to the reset point.
 */
export function resetWorkflowExecution(deps: WorkflowDeps) {
  const { engine, namespaces, config } = deps;
  return async (req: Request): Promise<temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse> => {
    const namespaceId = await namespaces.idOf(req.namespace ?? '');
    const workflowId = checkId('workflow_execution.workflow_id', req.workflowExecution?.workflowId, Infinity, {
      name: 'WorkflowId',
      notSet: 'WorkflowId is not set on request.',
    });
    const runId = checkId('workflow_execution.run_id', req.workflowExecution?.runId, Infinity, { name: 'RunId' });
    const requestId = checkRequestId('request_id', req.requestId, config) || randomUUID();
    const finishEventId = Number(req.workflowTaskFinishEventId ?? 0);
    if (!Number.isSafeInteger(finishEventId)) {
      throw new InvalidArgumentError('workflow_task_finish_event_id', 'Workflow task finish ID must be > 1 && <= workflow last event ID.');
    }
    const reason = req.reason ?? '';
    // Everything is checked against the base run before anything changes.
    const base = await engine.read(target(namespaceId, workflowId, runId), (wf) => readResetBase(wf, finishEventId));
    const current = await engine.read(target(namespaceId, workflowId), (wf) => ({
      runId: wf.state.runId,
      running: wf.state.status === 'running',
      startRequestId: wf.state.startRequestId,
    }));
    if (current.startRequestId === requestId) return { runId: current.runId };
    const newRunId = randomUUID();
    let tail: HistoryEvent[] | undefined;
    if (current.running) {
      const r = await engine.update(target(namespaceId, workflowId, current.runId), (wf, ctx) => {
        if (wf.state.status !== 'running') return undefined;
        const w = new HistoryWriter(wf, ctx);
        const events = terminateForReset(w, reason, newRunId, finishEventId);
        w.commit();
        return events;
      });
      if (current.runId === base.runId) tail = r.output;
    }
    tail ??= await engine.read(target(namespaceId, workflowId, base.runId), (wf) => readHistory(wf, finishEventId));
    const reapply = eventsToReapply(tail, reapplyExclusions(req));
    const spec: ResetRunSpec = { base, newRunId, requestId, reason, reapply };
    let replay: ReplayedRun | undefined;
    const started = await engine.start(
      Workflow,
      { namespaceId, businessId: workflowId },
      {
        runId: newRunId,
        requestId,
        reusePolicy: 'allowDuplicate',
        init: (ctx) => {
          const r = initResetRun(spec, ctx.now.getTime());
          replay = r.replay;
          return r.state;
        },
        run: (wf, ctx) => writeResetRun(wf, ctx, spec, replay!),
      },
    );
    deps.metrics?.resets.inc();
    deps.logger?.info(
      { workflowId, baseRunId: base.runId, newRunId: started.runId, finishEventId, reapplied: reapply.length },
      'workflow reset',
    );
    return { runId: started.runId };
  };
}
