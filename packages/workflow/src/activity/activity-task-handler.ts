import { asComponent, NotFoundError, type ChasmEngine, type ComponentRef } from '@chasm/core';
import type { PolledTask } from '@chasm/matching';
import type { ActivityTaskHandler } from '../grpc/activity-task-router.js';
import { Workflow } from '../workflow/workflow.js';
import type { WorkflowMetrics } from '../metrics.js';
import { Activity } from './activity.js';
import {
  cancelActivity,
  checkAttempt,
  completeActivity,
  failActivity,
  heartbeatActivity,
  startActivity,
} from './activity-state-machine.js';
import { attemptMarker, attemptOf } from './activity.tasks.js';
import { randomUUID } from 'node:crypto';

/** Splits a token ref into the activity's component ref and the attempt it names. */
function split(token: ComponentRef): { ref: ComponentRef; attempt: number } {
  const { taskId, ...ref } = token;
  return { ref, attempt: attemptOf(taskId) };
}

/** Activity tasks of workflow executions (archetype `workflow.workflow`). */
export function workflowActivityTaskHandler(engine: ChasmEngine, metrics: WorkflowMetrics | undefined): ActivityTaskHandler {
  return {
    archetype: Workflow.name,
    async onPolled(token: ComponentRef, _task: PolledTask, identity: string) {
      const { ref, attempt } = split(token);
      const r = await engine.update(ref, (c, ctx) => startActivity(asComponent(c, Activity), ctx, ref, attempt, identity, randomUUID()));
      return r.output;
    },
    async complete(token, req) {
      const { ref, attempt } = split(token);
      await engine.update(ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, attempt);
        completeActivity(a, ctx, req.result, req.identity ?? '');
      });
      metrics?.activityTasks.inc({ outcome: 'completed' });
    },
    async fail(token, req) {
      const { ref, attempt } = split(token);
      await engine.update(ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, attempt);
        failActivity(a, ctx, req.failure, req.identity ?? '', req.lastHeartbeatDetails);
      });
      metrics?.activityTasks.inc({ outcome: 'failed' });
    },
    async cancel(token, req) {
      const { ref, attempt } = split(token);
      await engine.update(ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, attempt);
        cancelActivity(a, ctx, req.details, req.identity ?? '');
      });
      metrics?.activityTasks.inc({ outcome: 'canceled' });
    },
    async heartbeat(token, req) {
      const { ref, attempt } = split(token);
      const r = await engine.update(ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        checkAttempt(a, attempt);
        return heartbeatActivity(a, ctx, req.details);
      });
      return { cancelRequested: r.output };
    },
    async tokenById(namespaceId, workflowId, runId, activityId) {
      try {
        return await engine.read({ type: Workflow, namespaceId, businessId: workflowId, ...(runId ? { runId } : {}) }, (wf, ctx) => {
          for (const key of wf.fields.activities.keys()) {
            const a = wf.fields.activities.get(key)!;
            if (a.state.activityId === activityId) {
              return { ...ctx.ref(a), taskId: attemptMarker(a.state.attempt) };
            }
          }
          return undefined;
        });
      } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    },
  };
}
