import { PRE_ENCODED_FIELDS, type MutableContext } from '@chasm/core';
import type { temporal } from '../proto.js';
import { HistoryWriter, readHistory } from './history-writer.js';
import { startWorkflowTask, type ContinueAsNewThresholds } from './mutable-state.js';
import type { WorkflowComponent } from './workflow.js';

export type EagerWorkflowTask = temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;

/** Why a start that asked for eager execution got no task (the `reason` label, Temporal's names). */
export type EagerDenial = 'first_workflow_task_backoff' | 'task_already_dispatched';

/**
 * Eager workflow start (`request_eager_execution`): the run's first workflow task is started in
 * the start's own transaction, for the starter's identity and request id (as Temporal's
 * NewWorkflowWithSignal does), and handed back in the start response instead of through
 * matching. The dispatch task `scheduleWorkflowTask` added is dropped at commit (its task is no
 * longer unstarted), so no poller ever sees it; the start-to-close timeout applies as for a polled
 * task, so a worker that drops the task leaves it to time out and be retried through matching.
 *
 * Denied (undefined) when the first task waits out a backoff (start delay, cron), or is not
 * there to start: the caller then answers without `eager_workflow_task`.
 */
export function startFirstTaskEagerly(
  wf: WorkflowComponent,
  ctx: MutableContext,
  identity: string,
  requestId: string,
  suggest: ContinueAsNewThresholds,
): EagerWorkflowTask | undefined {
  const s = wf.state;
  const t = s.wft;
  if (s.status !== 'running' || s.backoffUntil !== null || !t || t.startedEventId !== 0 || t.queueKind !== 'normal') return undefined;
  const w = new HistoryWriter(wf, ctx);
  const polled = startWorkflowTask(w, t.stamp, 'normal', identity, requestId, suggest);
  w.commit();
  if (!polled) return undefined;
  // The poll response carries its history pre-encoded, which only a top-level response field
  // can: nested in the start response it goes as events (three of them).
  const task: EagerWorkflowTask & { [PRE_ENCODED_FIELDS]?: unknown } = { ...polled, history: { events: readHistory(wf, 1, Number(polled.startedEventId)) } };
  delete task[PRE_ENCODED_FIELDS];
  return task;
}
