import type { CompletionReceiver, Engine } from '@chasm/core';
import type { Logger } from 'pino';
import type { InvokerComponent } from './invoker/invoker.js';
import { recordCompletion } from './invoker/record-completion.js';
import type { SchedulerMetrics } from './metrics.js';
import { Scheduler, schedulerTarget } from './scheduler/scheduler.js';
import { ProcessBufferTask, requestGenerate } from './tasks.js';

/**
 * Receives the completion callbacks of the workflows schedules start (reference A.7, A.8): the
 * token names the schedule's run and the start's request id.
 */
export function schedulerCompletionReceiver(engine: Engine, logger?: Logger, metrics?: SchedulerMetrics): CompletionReceiver {
  return {
    archetype: Scheduler.name,
    async receive(target, outcome) {
      await engine.update(schedulerTarget(target.namespaceId, target.businessId, target.runId), (root, ctx) => {
        if (root.state.closed) return;
        if (!recordCompletion(root, ctx, target.data, outcome)) return;
        metrics?.completions.inc({ status: outcome.status });
        logger?.debug({ scheduleId: target.businessId, workflowId: outcome.businessId, status: outcome.status }, 'scheduled workflow closed');
        const invoker = root.fields.invoker.get() as InvokerComponent;
        ctx.addTask(invoker, ProcessBufferTask, { stamp: null });
        requestGenerate(ctx, root);
      });
    },
  };
}
