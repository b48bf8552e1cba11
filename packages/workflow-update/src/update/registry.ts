import { asComponent, NotFoundError, type MutableContext } from '@chasm/core';
import { requestWorkflowTask, scheduleSpeculativeWorkflowTask, type SpeculativeDispatch, type WorkflowComponent } from '@chasm/workflow';
import type { WorkflowUpdateConfig } from '../config.js';
import { InFlightLimitError, InFlightPayloadLimitError, TotalLimitError, workflowCompleted, workflowNotReady } from '../errors.js';
import { decodeOutcome, encodeRequest, Stage, type temporal, type UpdateRequest } from '../proto.js';
import { emptyRegistry, REGISTRY_KEY, UpdateRegistry, type UpdateComponent, type UpdateRegistryComponent } from './update.js';

/** The run's update registry, if any update was ever admitted. */
export function registryOf(wf: WorkflowComponent): UpdateRegistryComponent | undefined {
  const c = wf.fields.extensions.get(REGISTRY_KEY);
  return c ? asComponent(c, UpdateRegistry) : undefined;
}

export function findUpdate(wf: WorkflowComponent, updateId: string): UpdateComponent | undefined {
  return registryOf(wf)?.fields.updates.get(updateId);
}

/** Creates the update in state admitted and lists it for delivery. Limits are the caller's business. */
export function addUpdate(wf: WorkflowComponent, updateId: string, request: Uint8Array, now: number): UpdateComponent {
  // `as never`: core's StateOf<> cannot infer the state of a component type with children.
  const reg = registryOf(wf) ?? wf.fields.extensions.create(REGISTRY_KEY, UpdateRegistry, emptyRegistry() as never);
  const u = reg.fields.updates.create(updateId, {
    status: 'admitted',
    updateId,
    request,
    admittedTime: now,
    sentStamp: 0,
    acceptedEventId: 0,
    completedEventId: 0,
    outcome: null,
  });
  reg.state.admitted.push(updateId);
  reg.state.total++;
  return u;
}

export type AdmitResult = {
  readonly runId: string;
  readonly admitted: boolean;
  /** A speculative workflow task scheduled for it: the caller offers it to matching after the update. */
  readonly dispatch?: SpeculativeDispatch;
};

/**
 * Temporal's ApplyRequest: join a known update id (dedup), or admit a new update within the
 * run's limits and make sure a workflow task will deliver it. Runs inside `engine.update`; a
 * throw leaves the run unchanged. `speculative`: inside a speculative update (nothing written):
 * an idle run gets a speculative workflow task (returned as `dispatch`) instead of a stored one.
 */
export function admitUpdate(
  wf: WorkflowComponent,
  ctx: MutableContext,
  request: UpdateRequest,
  firstExecutionRunId: string,
  config: WorkflowUpdateConfig,
  speculative = false,
): AdmitResult {
  const s = wf.state;
  if (firstExecutionRunId && s.firstExecutionRunId !== firstExecutionRunId) {
    throw new NotFoundError('workflow execution not found for the given first execution run id');
  }
  const updateId = request.meta?.updateId ?? '';
  const existing = findUpdate(wf, updateId);
  if (s.status !== 'running') {
    // A closed run still answers for updates that have an outcome; anything else is gone with it.
    if (existing?.state.outcome) return { runId: s.runId, admitted: false };
    throw workflowCompleted();
  }
  if (existing) return { runId: s.runId, admitted: false };
  // A workflow task that keeps failing would never deliver it (Temporal's failUpdateWorkflowTaskAttemptCount).
  if (s.wftAttempt >= config.failOnWorkflowTaskAttempt) throw workflowNotReady();
  const encoded = encodeRequest(request);
  const reg = registryOf(wf);
  if (reg) {
    const s = reg.state;
    if (s.admitted.length + s.accepted.length >= config.maxInFlightUpdates) throw new InFlightLimitError(config.maxInFlightUpdates);
    if (s.total >= config.maxTotalUpdates) throw new TotalLimitError(config.maxTotalUpdates);
    // Summed on demand: at most maxInFlightUpdates requests, cheaper than keeping a counter right.
    let bytes = encoded.length;
    for (const id of [...s.admitted, ...s.accepted]) bytes += reg.fields.updates.get(id)?.state.request.length ?? 0;
    if (bytes > config.maxInFlightUpdatePayloadBytes) throw new InFlightPayloadLimitError(config.maxInFlightUpdatePayloadBytes);
  } else if (encoded.length > config.maxInFlightUpdatePayloadBytes) {
    throw new InFlightPayloadLimitError(config.maxInFlightUpdatePayloadBytes);
  }
  addUpdate(wf, updateId, encoded, ctx.now.getTime());
  if (speculative) {
    // A task already pending or out carries it (or schedules the next one after it completes).
    const dispatch = scheduleSpeculativeWorkflowTask(wf, ctx);
    return dispatch ? { runId: s.runId, admitted: true, dispatch } : { runId: s.runId, admitted: true };
  }
  requestWorkflowTask(wf, ctx);
  return { runId: s.runId, admitted: true };
}

/** What a waiter sees of an update after a commit. */
export type Observed =
  | { readonly kind: 'stage'; readonly stage: number; readonly outcome?: temporal.api.update.v1.IOutcome }
  /** No such update: never admitted, or dropped unaccepted when the run closed. */
  | { readonly kind: 'gone'; readonly closed: boolean; readonly nextRunId: string | null };

export function observe(wf: WorkflowComponent, updateId: string): Observed {
  const u = findUpdate(wf, updateId);
  if (!u) {
    const s = wf.state;
    return { kind: 'gone', closed: s.status !== 'running', nextRunId: s.newExecutionRunId };
  }
  switch (u.state.status) {
    case 'admitted':
      return { kind: 'stage', stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED };
    case 'accepted':
      return { kind: 'stage', stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED };
    default:
      return {
        kind: 'stage',
        stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
        ...(u.state.outcome ? { outcome: decodeOutcome(u.state.outcome) } : {}),
      };
  }
}
