import { randomUUID } from 'node:crypto';
import { asComponent, InvalidArgumentError, NotFoundError, type AnyComponent, type ChasmEngine, type ComponentRef, type MutableContext } from '@chasm/core';
import { encodePayloads, type ActivityTaskHandler, type MatchingService, type Payloads } from '@chasm/matching';
import { Workflow } from '../workflow/workflow.js';
import { updateWithHandoff } from '../workflow/task-handoff.js';
import type { ContinueAsNewThresholds } from '../workflow/mutable-state.js';
import type { WorkflowConfig } from '../config.js';
import type { WorkflowMetrics } from '../metrics.js';
import { Activity } from './activity.js';
import { cancelActivity, checkAttempt, completeActivity, failActivity, heartbeatActivity, startActivity } from './activity-state-machine.js';

/**
 * Activity tasks of workflow executions (archetype `workflow.workflow`), served through the
 * activity-task router in @chasm/matching. Tokens and payloads are the contract's 'ref' form: the
 * activity's component ref, the attempt in its task-id slot. With `matching`, the workflow task an
 * activity's completion, failure or cancellation schedules is started in that same commit for a
 * poller waiting on the run's queue (task-handoff.ts, ADR 0040).
 */
export function workflowActivityTaskHandler(
  engine: ChasmEngine,
  metrics: WorkflowMetrics | undefined,
  config: Pick<WorkflowConfig, 'blobSizeLimitBytes'> & ContinueAsNewThresholds,
  matching?: MatchingService,
): ActivityTaskHandler {
  const { blobSizeLimitBytes } = config;
  /** An update whose change may schedule the run's next workflow task. */
  const finishing = <T>(ref: ComponentRef, fn: (c: AnyComponent, ctx: MutableContext) => T): Promise<T> =>
    matching
      ? updateWithHandoff(engine, matching, ref, (c) => asComponent(c.parent()!, Workflow), fn, config)
      : engine.update(ref, fn).then((r) => r.output);
  const blob = (field: string, p: Payloads | null | undefined): void => {
    const n = encodePayloads(p)?.length ?? 0;
    if (n > blobSizeLimitBytes) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
  };
  return {
    archetype: Workflow.name,
    tokenForm: 'ref',
    async onPolled(task, polled, poller) {
      const r = await engine.update(task.ref, (c, ctx) =>
        startActivity(asComponent(c, Activity), ctx, task.ref, task.attempt, poller.identity, randomUUID(), polled.taskQueue.name),
      );
      return r.output;
    },
    async complete(token, req) {
      blob('result', req.result);
      await finishing(token.ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, token.attempt);
        completeActivity(a, ctx, req.result, req.identity ?? '');
      });
      metrics?.activityTasks.inc({ outcome: 'completed' });
    },
    async fail(token, req) {
      await finishing(token.ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, token.attempt);
        failActivity(a, ctx, req.failure, req.identity ?? '', req.lastHeartbeatDetails);
      });
      metrics?.activityTasks.inc({ outcome: 'failed' });
    },
    async cancel(token, req) {
      await finishing(token.ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, token.attempt);
        cancelActivity(a, ctx, req.details, req.identity ?? '');
      });
      metrics?.activityTasks.inc({ outcome: 'canceled' });
    },
    async heartbeat(token, req) {
      blob('details', req.details);
      const r = await engine.update(token.ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, token.attempt);
        return heartbeatActivity(a, ctx, req.details);
      });
      return r.output;
    },
    async tokenById(namespaceId, workflowId, runId, activityId) {
      // Without a workflow id the ids address an activity outside any workflow: not ours.
      if (!workflowId) return undefined;
      try {
        return await engine.read({ type: Workflow, namespaceId, businessId: workflowId, ...(runId ? { runId } : {}) }, (wf, ctx) => {
          for (const key of wf.fields.activities.keys()) {
            const a = wf.fields.activities.get(key)!;
            if (a.state.activityId === activityId) return { ref: ctx.ref(a), attempt: a.state.attempt, stamp: 0 };
          }
          return undefined;
        });
      } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    },
    async tokenByScheduledEvent(namespaceId, workflowId, runId, scheduledEventId) {
      try {
        return await engine.read({ type: Workflow, namespaceId, businessId: workflowId, ...(runId ? { runId } : {}) }, (wf, ctx) => {
          // Activities are keyed by their scheduled event id.
          const a = wf.fields.activities.get(String(scheduledEventId));
          return a ? { ref: ctx.ref(a), attempt: a.state.attempt, stamp: 0 } : undefined;
        });
      } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    },
  };
}
