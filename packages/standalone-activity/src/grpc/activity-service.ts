import { randomUUID } from 'node:crypto';
import {
  ChasmError,
  ErrorCode,
  InvalidArgumentError,
  WORKFLOW_SERVICE,
  encodeRef,
  parseVisibilityQuery,
  countGroupedByStatus,
  longPollSeenTransitions,
  type Engine,
  type IdConflictPolicy,
  type IdReusePolicy,
  type NamespaceResolver,
  type RpcCallContext,
  type RpcHandlerSet,
} from '@chasm/core';
import { decodePayloads, durationToMs, encodeHeader, encodePayloads, jsonPayload, type MatchingService, type temporal } from '@chasm/matching';
import type { Logger } from 'pino';
import { Activity, activityTarget, isTerminal, originalOptionsOf, type ActivityComponent } from '../activity/activity.js';
import { cloneOptions, normalizeOptions, normalizePriority, normalizeRetryPolicy, normalizeTimeouts } from '../activity/activity-options.js';
import { newActivityState, pause, requestCancel, reset, terminate, unpause } from '../activity/activity-ops.js';
import { onCreated, rearmAfterOptionsChange } from '../activity/activity.transitions.js';
import type { StandaloneActivityConfig } from '../config.js';
import { ActivityExecutionAlreadyStartedError, forActivity, OperatorCommandsDisabledError } from '../errors.js';
import { countClosed, type ActivityMetrics } from '../metrics.js';
import { describeInfo, listInfo, optionsToProto, outcomeToProto } from './activity-encode.js';
import { completeHandoff, reserveForFirstAttempt, startForReservedPoller, type HandedOffAttempt } from './attempt-handoff.js';
import { ACTIVITY_QUERY_LANGUAGE, EXECUTION_STATUS_ATTRIBUTE, EXECUTION_STATUS_NAMES } from './activity-query.js';

export interface ActivityServiceDeps {
  readonly engine: Engine;
  /** For the first attempt's hand-off to a waiting poller (ADR 0042); without it every attempt goes through a dispatch task. */
  readonly matching?: MatchingService;
  readonly namespaces: NamespaceResolver;
  readonly config: StandaloneActivityConfig;
  readonly logger?: Logger;
  readonly metrics?: ActivityMetrics;
}

const REUSE: Readonly<Record<number, IdReusePolicy>> = { 1: 'allowDuplicate', 2: 'allowDuplicateFailedOnly', 3: 'rejectDuplicate' };
const CONFLICT: Readonly<Record<number, IdConflictPolicy>> = { 1: 'fail', 2: 'useExisting' };


/**
 * WorkflowService methods of standalone activities: lifecycle and operator commands. The worker
 * side (poll, respond, heartbeat) is `standaloneActivityTaskHandler`, served by matching's
 * activity-task router.
 */
export function activityRpcHandlers(deps: ActivityServiceDeps): RpcHandlerSet {
  const { engine, matching, namespaces, config, logger, metrics } = deps;

  const required = (field: string, value: string | null | undefined): string => {
    if (!value) throw new InvalidArgumentError(field, `${field} is required`);
    if (value.length > config.maxIdLength) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
    if (value.includes('\u0000')) throw new InvalidArgumentError(field, `${field} contains a NUL character`);
    return value;
  };
  const limited = (field: string, value: string | null | undefined): string => {
    const v = value ?? '';
    if (v.length > config.maxIdLength) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
    if (v.includes('\u0000')) throw new InvalidArgumentError(field, `${field} contains a NUL character`);
    return v;
  };
  const blob = (field: string, bytes: Uint8Array | null | string): void => {
    const n = bytes === null ? 0 : typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    if (n > config.blobSizeLimitBytes) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
  };
  const operator = (): void => {
    if (!config.enableOperatorCommands) throw new OperatorCommandsDisabledError();
  };
  const noWorkflow = (workflowId: string | null | undefined): void => {
    // Temporal forwards these to the workflow-activity APIs; this package serves standalone ones only.
    if (workflowId) throw new InvalidArgumentError('workflow_id', 'workflow activities are not served by the standalone activity API');
  };
  /** Caps a long poll at longPollTimeout; engine.poll answers empty shortly before it. */
  const longPollDeadline = (call: RpcCallContext): Date => {
    const cap = Date.now() + config.longPollTimeoutMs + config.longPollBufferMs;
    return new Date(Math.min(call.deadline?.getTime() ?? cap, cap));
  };
  const closedMetric = (a: ActivityComponent): void => countClosed(metrics, a);

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      // ---------------------------------------------------------------- lifecycle (B.1, B.2)

      async StartActivityExecution(req: temporal.api.workflowservice.v1.StartActivityExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const identity = limited('identity', req.identity);
        const activityId = required('activity_id', req.activityId);
        const activityType = required('activity_type', req.activityType?.name);
        const options = normalizeOptions(req, { activityId, activityType }, config.maxIdLength);
        const input = encodePayloads(req.input);
        blob('input', input);
        const header = encodeHeader(req.header);
        const reusePolicy = REUSE[req.idReusePolicy ?? 0];
        const conflictPolicy = CONFLICT[req.idConflictPolicy ?? 0];
        try {
          // A poller waiting on the queue gets the first attempt started in the start's own commit.
          const reservation = config.attemptHandoff ? await reserveForFirstAttempt(matching, namespaceId, options) : undefined;
          let handedOff: HandedOffAttempt | undefined;
          const r = await engine
            .start(Activity, { namespaceId, businessId: activityId }, {
              init: (ctx) => newActivityState({ activityId, activityType, options, identity, now: ctx.now.getTime() }),
              run: (root, ctx) => {
                if (input || header) root.fields.input.set({ input, header });
                onCreated(root, ctx);
                handedOff = startForReservedPoller(root, ctx, reservation, req.namespace ?? '', metrics);
              },
              requestId,
              ...(reusePolicy ? { reusePolicy } : {}),
              ...(conflictPolicy ? { conflictPolicy } : {}),
            })
            .then(
              // An existing run (request-id retry, useExisting) ran nothing: the poller goes back.
              (res) => (completeHandoff(reservation, res.created ? handedOff : undefined, metrics), res),
              (e: unknown) => {
                completeHandoff(reservation, undefined, metrics);
                throw e;
              },
            );
          metrics?.started.inc({ outcome: r.created ? 'created' : 'existing' });
          logger?.debug({ activityId, runId: r.runId, created: r.created }, 'activity started');
          return { runId: r.runId, started: r.created, link: { activity: { namespace: req.namespace, activityId, runId: r.runId } } };
        } catch (e) {
          if (ChasmError.is(e) && e.code === ErrorCode.AlreadyExists && typeof e.details['currentRunId'] === 'string') {
            throw new ActivityExecutionAlreadyStartedError(activityId, e.details['currentRunId'], String(e.details['currentRequestId'] ?? ''));
          }
          throw e;
        }
      },

      async DescribeActivityExecution(req: temporal.api.workflowservice.v1.DescribeActivityExecutionRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const runId = req.runId ?? '';
        const build = (a: ActivityComponent, ctx: Parameters<Parameters<Engine['read']>[1]>[1]): Record<string, unknown> => ({
          runId: ctx.key.runId,
          info: describeInfo(a, ctx, { includeHeartbeatDetails: !!req.includeHeartbeatDetails, includeLastFailure: !!req.includeLastFailure }),
          input: req.includeInput ? decodePayloads(a.fields.input.get()?.input) : null,
          outcome: req.includeOutcome ? outcomeToProto(a.state) : null,
          longPollToken: encodeRef(ctx.ref(a)),
          callbacks: [],
        });
        if (!req.longPollToken || req.longPollToken.length === 0) {
          return forActivity(activityId, () => engine.read(activityTarget(namespaceId, activityId, runId), (a, ctx) => build(a, ctx)));
        }
        const seen = longPollSeenTransitions(req.longPollToken, { namespaceId, businessId: activityId, runId, archetype: Activity.name });
        const r = await forActivity(activityId, () =>
          engine.poll(activityTarget(namespaceId, activityId, runId), (a, ctx) => (ctx.transitionCount > seen ? build(a, ctx) : undefined), {
            signal: call.signal,
            deadline: longPollDeadline(call),
          }),
        );
        return r.value ?? {};
      },

      async PollActivityExecution(req: temporal.api.workflowservice.v1.PollActivityExecutionRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const r = await forActivity(activityId, () =>
          engine.poll(
            activityTarget(namespaceId, activityId, req.runId),
            (a, ctx) => (isTerminal(a.state.status) ? { runId: ctx.key.runId, outcome: outcomeToProto(a.state) } : undefined),
            { signal: call.signal, deadline: longPollDeadline(call) },
          ),
        );
        // Deadline first: an empty response means "poll again" (the SDK loops).
        return r.value ?? {};
      },

      async ListActivityExecutions(req: temporal.api.workflowservice.v1.ListActivityExecutionsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const { filter, groupBy } = parseVisibilityQuery(req.query, ACTIVITY_QUERY_LANGUAGE);
        if (groupBy) throw new InvalidArgumentError('query', 'GROUP BY is only supported by Count');
        const size = req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, config.maxPageSize) : config.maxPageSize;
        const pageToken = req.nextPageToken && req.nextPageToken.length > 0 ? Buffer.from(req.nextPageToken).toString('utf8') : undefined;
        const page = await engine.list(Activity, {
          namespaceId,
          pageSize: size,
          ...(filter ? { filter } : {}),
          ...(pageToken ? { pageToken } : {}),
        });
        return {
          executions: page.records.map(listInfo),
          nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'utf8') : Buffer.alloc(0),
        };
      },

      async CountActivityExecutions(req: temporal.api.workflowservice.v1.CountActivityExecutionsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const { filter, groupBy } = parseVisibilityQuery(req.query, ACTIVITY_QUERY_LANGUAGE);
        if (!groupBy) return { count: await engine.count(Activity, { namespaceId, ...(filter ? { filter } : {}) }), groups: [] };
        const r = await countGroupedByStatus(engine, Activity, { namespaceId, filter, field: EXECUTION_STATUS_ATTRIBUTE, statuses: EXECUTION_STATUS_NAMES });
        return { count: r.count, groups: r.groups.map((g) => ({ groupValues: [jsonPayload(g.status, 'Keyword')], count: g.count })) };
      },

      async RequestCancelActivityExecution(req: temporal.api.workflowservice.v1.RequestCancelActivityExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        blob('reason', req.reason ?? '');
        await forActivity(activityId, () =>
          engine.update(activityTarget(namespaceId, activityId, req.runId), (a, ctx) => {
            requestCancel(a, ctx, { requestId, reason: req.reason ?? '', identity: req.identity ?? '' });
            closedMetric(a);
          }),
        );
        return {};
      },

      async TerminateActivityExecution(req: temporal.api.workflowservice.v1.TerminateActivityExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        blob('reason', req.reason ?? '');
        await forActivity(activityId, () =>
          engine.update(activityTarget(namespaceId, activityId, req.runId), (a, ctx) => {
            terminate(a, ctx, { requestId, reason: req.reason ?? '', identity: req.identity ?? '' });
            closedMetric(a);
          }),
        );
        return {};
      },

      async DeleteActivityExecution(req: temporal.api.workflowservice.v1.DeleteActivityExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        await forActivity(activityId, () => engine.delete(activityTarget(namespaceId, activityId, req.runId), 'Delete activity execution'));
        return {};
      },

      // ---------------------------------------------------------------- operator commands (B.7)

      async PauseActivityExecution(req: temporal.api.workflowservice.v1.PauseActivityExecutionRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        await forActivity(activityId, () => engine.update(activityTarget(namespaceId, activityId, req.runId), (a, ctx) => pause(a, ctx, { requestId })));
        return {};
      },

      async UnpauseActivityExecution(req: temporal.api.workflowservice.v1.UnpauseActivityExecutionRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const jitterMs = durationToMs(req.jitter, 'jitter');
        await forActivity(activityId, () => engine.update(activityTarget(namespaceId, activityId, req.runId), (a, ctx) => unpause(a, ctx, { requestId, jitterMs })));
        return {};
      },

      async ResetActivityExecution(req: temporal.api.workflowservice.v1.ResetActivityExecutionRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        await forActivity(activityId, () =>
          engine.update(activityTarget(namespaceId, activityId, req.runId), (a, ctx) =>
            reset(a, ctx, {
              requestId,
              keepPaused: !!req.keepPaused,
              resetHeartbeat: !!req.resetHeartbeat,
              restoreOriginal: !!req.restoreOriginalOptions,
              jitterMs: durationToMs(req.jitter, 'jitter'),
            }),
          ),
        );
        return {};
      },

      async UpdateActivityExecutionOptions(req: temporal.api.workflowservice.v1.UpdateActivityExecutionOptionsRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const paths = (req.updateMask?.paths ?? []).map(normalizePath);
        if (req.restoreOriginal && paths.length > 0) throw new InvalidArgumentError('update_mask', 'update_mask must be empty with restore_original');
        if (!req.restoreOriginal && paths.length === 0) throw new InvalidArgumentError('update_mask', 'update_mask is required');
        for (const p of paths) if (!UPDATABLE.has(p) && !p.startsWith('priority.') && !p.startsWith('retryPolicy.')) throw new InvalidArgumentError('update_mask', `unsupported path ${p}`);
        const o = req.activityOptions ?? {};
        const r = await forActivity(activityId, () =>
          engine.update(activityTarget(namespaceId, activityId, req.runId), (a, ctx) => {
            const s = a.state;
            if (s.lastUpdateRequestId === requestId) return optionsToProto(s.options);
            if (isTerminal(s.status) || s.status === 'cancelRequested' || s.status === 'resetRequested' || s.pendingReset) {
              throw new ChasmError(ErrorCode.FailedPrecondition, `activity is in state ${s.status}: options cannot be updated`);
            }
            const next = cloneOptions(req.restoreOriginal ? originalOptionsOf(s) : s.options);
            if (!req.restoreOriginal) {
              const has = (p: string): boolean => paths.includes(p);
              if (has('taskQueue.name') || has('taskQueue')) {
                if (!o.taskQueue?.name) throw new InvalidArgumentError('activity_options.task_queue', 'task queue name is required');
                next.taskQueue = o.taskQueue.name;
              }
              if (has('scheduleToCloseTimeout')) next.scheduleToCloseMs = durationToMs(o.scheduleToCloseTimeout, 'activity_options.schedule_to_close_timeout');
              if (has('scheduleToStartTimeout')) next.scheduleToStartMs = durationToMs(o.scheduleToStartTimeout, 'activity_options.schedule_to_start_timeout');
              if (has('startToCloseTimeout')) next.startToCloseMs = durationToMs(o.startToCloseTimeout, 'activity_options.start_to_close_timeout');
              if (has('heartbeatTimeout')) next.heartbeatMs = durationToMs(o.heartbeatTimeout, 'activity_options.heartbeat_timeout');
              if (paths.some((p) => p === 'retryPolicy' || p.startsWith('retryPolicy.'))) next.retry = normalizeRetryPolicy(o.retryPolicy);
              if (paths.some((p) => p === 'priority' || p.startsWith('priority.'))) next.priority = normalizePriority(o.priority);
              if (has('startDelay')) {
                if (s.firstStartedTime !== null || s.attempt > 1) throw new InvalidArgumentError('activity_options.start_delay', 'start delay can only be changed before the first dispatch');
                next.startDelayMs = durationToMs(o.startDelay, 'activity_options.start_delay');
              }
              Object.assign(next, normalizeTimeouts(next, { activityId, activityType: s.activityType }));
            }
            // The first change keeps the start's options (untouched: `next` is a copy) for restore_original.
            s.originalOptions ??= s.options;
            s.options = next;
            s.lastUpdateRequestId = requestId;
            rearmAfterOptionsChange(a, ctx);
            return optionsToProto(s.options);
          }),
        );
        return { activityOptions: r.output };
      },
    },
  };
}

const UPDATABLE = new Set([
  'taskQueue.name',
  'taskQueue',
  'scheduleToCloseTimeout',
  'scheduleToStartTimeout',
  'startToCloseTimeout',
  'heartbeatTimeout',
  'retryPolicy',
  'priority',
  'startDelay',
]);

/** Mask paths may be snake_case (the SDK) or camelCase. */
function normalizePath(p: string): string {
  return p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

