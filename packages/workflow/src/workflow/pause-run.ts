import { FailedPreconditionError, NotFoundError, type MutableContext } from '@chasm/core';
import { event } from '../history/events.js';
import { api, type HistoryEvent, type temporal } from '../proto.js';
import { HistoryWriter } from './history-writer.js';
import { scheduleWorkflowTask } from './mutable-state.js';
import type { WorkflowComponent } from './workflow.js';

/** What an operator sends with a pause or unpause (recorded in the event). */
export interface PauseRequest {
  readonly identity: string;
  readonly reason: string;
  readonly requestId: string;
}

/**
 * Operator events the worker has no state machine for: Temporal marks them `worker_may_ignore`,
 * and the SDK's core skips such events instead of failing the workflow task.
 */
function ignorable(ev: HistoryEvent): HistoryEvent {
  return { ...ev, workerMayIgnore: true };
}

function requireOpen(wf: WorkflowComponent): void {
  // Temporal's ErrWorkflowCompleted is NOT_FOUND with this message.
  if (wf.state.status !== 'running') throw new NotFoundError('workflow execution already completed');
}

/**
 * Pauses a run as Temporal's pauseworkflow does: WorkflowExecutionPaused is written and no new
 * workflow task is scheduled until unpause (scheduleWorkflowTask checks `paused`). A task already
 * started finishes normally. Pausing a paused run is a no-op that succeeds.
 */
export function pauseRun(wf: WorkflowComponent, ctx: MutableContext, req: PauseRequest): void {
  requireOpen(wf);
  if (wf.state.paused) return;
  const w = new HistoryWriter(wf, ctx);
  w.external(ignorable(event('workflowExecutionPausedEventAttributes', { identity: req.identity, reason: req.reason, requestId: req.requestId })));
  wf.state.paused = { identity: req.identity, reason: req.reason, time: w.now };
  w.commit();
}

/**
 * Unpauses a paused run: WorkflowExecutionUnpaused, then a workflow task (which delivers whatever
 * arrived while paused). Unpausing a run that is not paused is FAILED_PRECONDITION, as in Temporal.
 */
export function unpauseRun(wf: WorkflowComponent, ctx: MutableContext, req: PauseRequest): void {
  requireOpen(wf);
  if (!wf.state.paused) throw new FailedPreconditionError('workflow is not paused.');
  const w = new HistoryWriter(wf, ctx);
  wf.state.paused = null;
  w.external(ignorable(event('workflowExecutionUnpausedEventAttributes', { identity: req.identity, reason: req.reason, requestId: req.requestId })));
  scheduleWorkflowTask(w);
  w.commit();
}

type Override = temporal.api.workflow.v1.IVersioningOverride;

/**
 * Sets or clears the run's versioning override (UpdateWorkflowExecutionOptions with the
 * `versioning_override` mask path). An actual change writes WorkflowExecutionOptionsUpdated;
 * setting the same value again writes nothing, as Temporal does. Returns the resulting override.
 */
export function setVersioningOverride(wf: WorkflowComponent, ctx: MutableContext, override: Override | null, identity: string): Override | null {
  requireOpen(wf);
  const bytes = override ? api.workflow.v1.VersioningOverride.encode(override).finish() : null;
  const before = wf.state.versioningOverride ?? null;
  if (!sameBytes(before, bytes)) {
    const w = new HistoryWriter(wf, ctx);
    w.external(
      ignorable(
        event('workflowExecutionOptionsUpdatedEventAttributes', {
          ...(override ? { versioningOverride: override } : { unsetVersioningOverride: true }),
          identity,
        }),
      ),
    );
    wf.state.versioningOverride = bytes;
    w.commit();
  }
  return versioningOverrideOf(wf);
}

export function versioningOverrideOf(wf: WorkflowComponent): Override | null {
  const b = wf.state.versioningOverride;
  return b ? api.workflow.v1.VersioningOverride.decode(b) : null;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
