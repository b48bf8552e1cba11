import {
  asComponent,
  ChasmError,
  ErrorCode,
  InvalidArgumentError,
  type Engine,
  type MutableContext,
} from '@chasm/core';
import { encodePayloads, type ActivityTaskHandler, type ActivityToken, type Payloads } from '@chasm/matching';
import { Activity, activityTarget, type ActivityComponent } from '../activity/activity.js';
import { heartbeat, respondCanceled, respondCompleted, respondFailed } from '../activity/activity-ops.js';
import { checkTaskToken, type ActivityTaskToken } from '../activity/activity-token.js';
import { canStartLazily, restoreLostLazyStart } from '../activity/lazy-start.js';
import type { StandaloneActivityConfig } from '../config.js';
import { forActivity } from '../errors.js';
import { countClosed, type ActivityMetrics } from '../metrics.js';
import { startAttempt } from './attempt-handoff.js';

export interface StandaloneActivityTaskHandlerDeps {
  readonly engine: Engine;
  readonly config: StandaloneActivityConfig;
  readonly metrics?: ActivityMetrics;
}

/**
 * The worker side of standalone activities (reference B.4), served through the activity-task
 * router in @chasm/matching: a poll starts the attempt, tokens are the contract's 'stamped' form,
 * and the by-id RPCs without a workflow id address activities of this package (attempt 0).
 */
export function standaloneActivityTaskHandler(deps: StandaloneActivityTaskHandlerDeps): ActivityTaskHandler {
  const { engine, config, metrics } = deps;

  const blob = (field: string, p: Payloads | null | undefined): void => {
    const n = encodePayloads(p)?.length ?? 0;
    if (n > config.blobSizeLimitBytes) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
  };

  /**
   * Runs `op` on the activity a token addresses, after the token's shape check. By-id tokens
   * (attempt 0) say `activity not found for ID: X` when the activity is gone. A token of a start
   * held in memory and lost since is taken as that start first (ADR 0065).
   */
  const withToken = async <T>(
    token: ActivityToken,
    identity: string | null | undefined,
    op: (a: ActivityComponent, ctx: MutableContext, t: ActivityTaskToken) => T,
  ): Promise<T> => {
    const t = checkTaskToken(token);
    const update = () =>
      engine.update(t.ref, (c, ctx) => {
        const a = asComponent(c, Activity);
        if (restoreLostLazyStart(a, ctx, t, { identity: identity ?? '', sdkName: '', sdkVersion: '' })) metrics?.lazyStartsRestored.inc();
        const out = op(a, ctx, t);
        countClosed(metrics, a);
        return out;
      });
    const r = t.attempt === 0 ? await forActivity(t.ref.businessId, update) : await update();
    return r.output;
  };

  return {
    archetype: Activity.name,
    tokenForm: 'stamped',

    async onPolled(task, _polled, poller) {
      // Payloads are written by encodeActivityTaskInfo: the activity root's ref and the attempt's stamp.
      if (task.ref.path !== '') return undefined;
      try {
        // In memory while the attempt's start guard is pending (ADR 0065); with a commit otherwise.
        if (config.lazyStart) {
          const lazy = await engine.update(
            task.ref,
            (c, ctx) => {
              const a = asComponent(c, Activity);
              return canStartLazily(a, task.stamp, ctx.now.getTime()) ? startAttempt(a, ctx, task.ref, task.stamp, poller, metrics, true) : undefined;
            },
            { speculative: true },
          );
          if (lazy.output) {
            metrics?.attemptsStarted.inc();
            metrics?.lazyStarts.inc();
            return lazy.output;
          }
        }
        const r = await engine.update(task.ref, (c, ctx) => startAttempt(asComponent(c, Activity), ctx, task.ref, task.stamp, poller, metrics));
        if (!r.output) return undefined;
        metrics?.attemptsStarted.inc();
        return r.output;
      } catch (e) {
        // No longer startable: drop this task, keep polling (the router does the same for NOT_FOUND).
        if (ChasmError.is(e) && e.code === ErrorCode.FailedPrecondition) return undefined;
        throw e;
      }
    },

    async complete(token, req) {
      blob('result', req.result);
      await withToken(token, req.identity, (a, ctx, t) => respondCompleted(a, ctx, t, req.result));
    },
    async fail(token, req) {
      await withToken(token, req.identity, (a, ctx, t) => respondFailed(a, ctx, t, req.failure, req.lastHeartbeatDetails));
    },
    async cancel(token, req) {
      await withToken(token, req.identity, (a, ctx, t) => respondCanceled(a, ctx, t, req.details, req.identity ?? ''));
    },
    async heartbeat(token, req) {
      blob('details', req.details);
      return withToken(token, req.identity, (a, ctx, t) => heartbeat(a, ctx, t, req.details));
    },

    async tokenById(namespaceId, workflowId, runId, activityId) {
      // With a workflow id the ids address a workflow's activity: not ours.
      if (workflowId) return undefined;
      if (activityId.length > config.maxIdLength) throw new InvalidArgumentError('activity_id', 'activity_id exceeds length limit');
      // Attempt 0: no particular attempt, and a completion may force-complete a SCHEDULED or PAUSED activity (B.4).
      const ref = await forActivity(activityId, () => engine.read(activityTarget(namespaceId, activityId, runId), (a, ctx) => ctx.ref(a)));
      return { ref, attempt: 0, stamp: 0 };
    },
  };
}
