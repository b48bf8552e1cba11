import { randomUUID } from 'node:crypto';
import {
  ChasmError,
  ErrorCode,
  InvalidArgumentError,
  WORKFLOW_SERVICE,
  asComponent,
  decodeRef,
  encodeRef,
  type Engine,
  type IdConflictPolicy,
  type IdReusePolicy,
  type ComponentRef,
  NotFoundError,
  parseVisibilityQuery,
  type NamespaceResolver,
  type RpcCallContext,
  type RpcHandlerSet,
  type RootTarget,
} from '@chasm/core';
import { decodePayloads, durationToMs, encodeHeader, encodePayloads, jsonPayload, type MatchingService, type Payload, type temporal } from '@chasm/matching';
import type { Logger } from 'pino';
import { Activity, isTerminal, type ActivityComponent, type ActivityState } from '../activity/activity.js';
import { normalizeOptions, normalizePriority, normalizeRetryPolicy, normalizeTimeouts } from '../activity/activity-options.js';
import {
  heartbeat,
  newActivityState,
  pause,
  recordStarted,
  requestCancel,
  reset,
  respondCanceled,
  respondCompleted,
  respondFailed,
  terminate,
  unpause,
} from '../activity/activity-ops.js';
import { decodeTaskToken, encodeTaskToken, isStandaloneActivityToken } from '../activity/activity-token.js';
import type { ActivityTaskHandler } from './activity-task-router.js';
import { decodeActivityTaskInfo } from '../activity/activity.tasks.js';
import { onCreated, rearmAfterOptionsChange } from '../activity/activity.transitions.js';
import type { StandaloneActivityConfig } from '../config.js';
import { ActivityExecutionAlreadyStartedError, ActivityNotFoundError, OperatorCommandsDisabledError } from '../errors.js';
import type { ActivityMetrics } from '../metrics.js';
import { describeInfo, listInfo, optionsToProto, outcomeToProto, pollResponse } from './activity-encode.js';
import { ACTIVITY_QUERY_LANGUAGE, EXECUTION_STATUS_ATTRIBUTE, EXECUTION_STATUS_NAMES } from './activity-query.js';


export interface ActivityServiceDeps {
  readonly engine: Engine;
  readonly matching: MatchingService;
  readonly namespaces: NamespaceResolver;
  readonly config: StandaloneActivityConfig;
  readonly logger?: Logger;
  readonly metrics?: ActivityMetrics;
  /** Activity-task handlers of other features (workflow activities), routed by archetype. */
  readonly foreignHandlers?: readonly ActivityTaskHandler[];
}

type ActivityTarget = RootTarget<ActivityState, (typeof Activity)['children']>;

const target = (namespaceId: string, activityId: string, runId?: string | null): ActivityTarget => ({
  type: Activity,
  namespaceId,
  businessId: activityId,
  ...(runId ? { runId } : {}),
});

/** The engine's "execution not found" becomes Temporal's `activity not found for ID: X`. */
async function forActivity<T>(activityId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.NotFound && e.message.startsWith('execution not found')) throw new ActivityNotFoundError(activityId);
    throw e;
  }
}

const REUSE: Readonly<Record<number, IdReusePolicy>> = { 1: 'allowDuplicate', 2: 'allowDuplicateFailedOnly', 3: 'rejectDuplicate' };
const CONFLICT: Readonly<Record<number, IdConflictPolicy>> = { 1: 'fail', 2: 'useExisting' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** WorkflowService methods of standalone activities: lifecycle, operator commands and the worker side. */
export function activityRpcHandlers(deps: ActivityServiceDeps): RpcHandlerSet {
  const { engine, matching, namespaces, config, logger, metrics } = deps;
  const foreign = new Map((deps.foreignHandlers ?? []).map((h) => [h.archetype, h]));

  const required = (field: string, value: string | null | undefined): string => {
    if (!value) throw new InvalidArgumentError(field, `${field} is required`);
    if (value.length > config.maxIdLength) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
    return value;
  };
  const limited = (field: string, value: string | null | undefined): string => {
    const v = value ?? '';
    if (v.length > config.maxIdLength) throw new InvalidArgumentError(field, `${field} exceeds length limit`);
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
  const closedMetric = (a: ActivityComponent): void => {
    if (isTerminal(a.state.status)) metrics?.closed.inc({ status: a.state.status });
  };

  type MutCtx = Parameters<Parameters<Engine['update']>[1]>[1];
  type Own<T> = (a: ActivityComponent, ctx: MutCtx, token: { attempt: number; stamp: number }) => T;
  type Foreign<T> = (h: ActivityTaskHandler, ref: ComponentRef) => Promise<T>;

  /**
   * Runs `own` on the standalone activity a task token addresses, after the token checks of B.4;
   * any other token (an `encodeRef` ref) goes to the feature owning its archetype.
   */
  const withToken = async <T>(req: { taskToken?: Uint8Array | null; namespace?: string | null }, own: Own<T>, other: Foreign<T>): Promise<T> => {
    const namespaceId = await namespaces.idOf(req.namespace ?? '');
    if (!isStandaloneActivityToken(req.taskToken)) {
      const ref = decodeRef(req.taskToken, 'task_token');
      if (ref.namespaceId !== namespaceId) throw new InvalidArgumentError('task_token', 'token does not match namespace');
      const h = foreign.get(ref.archetype);
      if (!h) throw new InvalidArgumentError('task_token', 'task token is malformed');
      return other(h, ref);
    }
    const token = decodeTaskToken(req.taskToken);
    if (token.ref.namespaceId !== namespaceId) throw new InvalidArgumentError('task_token', 'token does not match namespace');
    const r = await engine.update(token.ref, (c, ctx) => {
      const a = asComponent(c, Activity);
      const out = own(a, ctx, token);
      closedMetric(a);
      return out;
    });
    return r.output;
  };
  /**
   * The by-id forms. Without a workflow id: a token for (namespace, activity_id, run_id) with
   * attempt 0 (B.4). With one: a workflow activity, found through the other features' handlers.
   */
  const withId = async <T>(
    req: { namespace?: string | null; workflowId?: string | null; activityId?: string | null; runId?: string | null },
    own: Own<T>,
    other: Foreign<T>,
  ): Promise<T> => {
    const namespaceId = await namespaces.idOf(req.namespace ?? '');
    const activityId = required('activity_id', req.activityId);
    if (req.workflowId) {
      for (const h of foreign.values()) {
        const ref = await h.tokenById(namespaceId, req.workflowId, req.runId ?? '', activityId);
        if (ref) return other(h, ref);
      }
      throw new NotFoundError('activity not found');
    }
    const r = await forActivity(activityId, () =>
      engine.update(target(namespaceId, activityId, req.runId), (a, ctx) => {
        const out = own(a, ctx, { attempt: 0, stamp: 0 });
        closedMetric(a);
        return out;
      }),
    );
    return r.output;
  };

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
          const r = await engine.start(Activity, { namespaceId, businessId: activityId }, {
            init: (ctx) => newActivityState({ activityId, activityType, options, identity, now: ctx.now.getTime() }),
            run: (root, ctx) => {
              if (input || header) root.fields.input.set({ input, header });
              onCreated(root, ctx);
            },
            requestId,
            ...(reusePolicy ? { reusePolicy } : {}),
            ...(conflictPolicy ? { conflictPolicy } : {}),
          });
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
          return forActivity(activityId, () => engine.read(target(namespaceId, activityId, runId), (a, ctx) => build(a, ctx)));
        }
        if (!runId) throw new InvalidArgumentError('run_id', 'run_id is required when long_poll_token is set');
        if (!UUID.test(runId)) throw new InvalidArgumentError('run_id', 'invalid run id');
        let token;
        try {
          token = decodeRef(req.longPollToken, 'long_poll_token');
        } catch {
          throw new InvalidArgumentError('long_poll_token', 'invalid long poll token');
        }
        if (token.namespaceId !== namespaceId || token.businessId !== activityId || token.runId !== runId || token.archetype !== Activity.name) {
          throw new InvalidArgumentError('long_poll_token', 'long poll token does not match execution');
        }
        const seen = token.executionTc;
        const r = await forActivity(activityId, () =>
          engine.poll(target(namespaceId, activityId, runId), (a, ctx) => (ctx.transitionCount > seen ? build(a, ctx) : undefined), {
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
            target(namespaceId, activityId, req.runId),
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
        const groups: { groupValues: Payload[]; count: number }[] = [];
        let total = 0;
        for (const status of EXECUTION_STATUS_NAMES) {
          const byStatus = { kind: 'compare' as const, field: EXECUTION_STATUS_ATTRIBUTE, op: '=' as const, value: status };
          const count = await engine.count(Activity, { namespaceId, filter: filter ? { kind: 'and', clauses: [filter, byStatus] } : byStatus });
          if (count === 0) continue;
          total += count;
          groups.push({ groupValues: [jsonPayload(status, 'Keyword')], count });
        }
        return { count: total, groups };
      },

      async RequestCancelActivityExecution(req: temporal.api.workflowservice.v1.RequestCancelActivityExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        blob('reason', req.reason ?? '');
        await forActivity(activityId, () =>
          engine.update(target(namespaceId, activityId, req.runId), (a, ctx) => {
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
          engine.update(target(namespaceId, activityId, req.runId), (a, ctx) => {
            terminate(a, ctx, { requestId, reason: req.reason ?? '', identity: req.identity ?? '' });
            closedMetric(a);
          }),
        );
        return {};
      },

      async DeleteActivityExecution(req: temporal.api.workflowservice.v1.DeleteActivityExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        await forActivity(activityId, () => engine.delete(target(namespaceId, activityId, req.runId), 'Delete activity execution'));
        return {};
      },

      // ---------------------------------------------------------------- operator commands (B.7)

      async PauseActivityExecution(req: temporal.api.workflowservice.v1.PauseActivityExecutionRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        await forActivity(activityId, () => engine.update(target(namespaceId, activityId, req.runId), (a, ctx) => pause(a, ctx, { requestId })));
        return {};
      },

      async UnpauseActivityExecution(req: temporal.api.workflowservice.v1.UnpauseActivityExecutionRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const jitterMs = durationToMs(req.jitter, 'jitter');
        await forActivity(activityId, () => engine.update(target(namespaceId, activityId, req.runId), (a, ctx) => unpause(a, ctx, { requestId, jitterMs })));
        return {};
      },

      async ResetActivityExecution(req: temporal.api.workflowservice.v1.ResetActivityExecutionRequest) {
        operator();
        noWorkflow(req.workflowId);
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const activityId = required('activity_id', req.activityId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        await forActivity(activityId, () =>
          engine.update(target(namespaceId, activityId, req.runId), (a, ctx) =>
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
          engine.update(target(namespaceId, activityId, req.runId), (a, ctx) => {
            const s = a.state;
            if (s.lastUpdateRequestId === requestId) return optionsToProto(s.options);
            if (isTerminal(s.status) || s.status === 'cancelRequested' || s.status === 'resetRequested' || s.pendingReset) {
              throw new ChasmError(ErrorCode.FailedPrecondition, `activity is in state ${s.status}: options cannot be updated`);
            }
            const next = req.restoreOriginal ? structuredClone(s.originalOptions) : structuredClone(s.options);
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
            s.options = next;
            s.lastUpdateRequestId = requestId;
            rearmAfterOptionsChange(a, ctx);
            return optionsToProto(s.options);
          }),
        );
        return { activityOptions: r.output };
      },

      // ---------------------------------------------------------------- worker side (B.4)

      async PollActivityTaskQueue(req: temporal.api.workflowservice.v1.PollActivityTaskQueueRequest, call: RpcCallContext) {
        const namespace = req.namespace ?? '';
        const namespaceId = await namespaces.idOf(namespace);
        const name = req.taskQueue?.name;
        if (!name) throw new InvalidArgumentError('task_queue', 'task_queue.name is required');
        const identity = req.identity ?? '';
        const rate = req.taskQueueMetadata?.maxTasksPerSecond?.value;
        let response: Record<string, unknown> | undefined;
        const task = await matching.poll(
          {
            namespaceId,
            taskQueue: { name, kind: 'normal' },
            type: 'activity',
            identity,
            ...(rate ? { ratePerSecond: rate } : {}),
            ...(req.workerInstanceKey ? { workerInstanceKey: req.workerInstanceKey } : {}),
            accept: async (t) => {
              const info = decodeActivityTaskInfo(t.payload);
              if (!info) {
                // Another feature's task (a workflow activity): its payload is an encoded ref.
                let ref: ComponentRef;
                try {
                  ref = decodeRef(t.payload, 'payload');
                } catch {
                  return 'stale';
                }
                const h = foreign.get(ref.archetype);
                if (!h || ref.namespaceId !== namespaceId) return 'stale';
                try {
                  response = (await h.onPolled(ref, t, identity)) as Record<string, unknown> | undefined;
                } catch (e) {
                  if (ChasmError.is(e) && e.code === ErrorCode.NotFound) return 'stale';
                  throw e;
                }
                return response ? 'accepted' : 'stale';
              }
              if (info.ref.namespaceId !== namespaceId) return 'stale';
              try {
                const r = await engine.update(info.ref, (c, ctx) => {
                  const a = asComponent(c, Activity);
                  const ev = { identity, sdkName: call.metadata['client-name'] ?? '', sdkVersion: call.metadata['client-version'] ?? '' };
                  if (recordStarted(a, ctx, info.stamp, ev) === 'stale') return undefined;
                  const token = encodeTaskToken({ ref: info.ref, attempt: a.state.attempt, stamp: a.state.stamp });
                  metrics?.scheduleToStartLatency.observe(Math.max(0, ctx.now.getTime() - a.state.dispatchTime) / 1000);
                  return pollResponse(a, ctx, namespace, token);
                });
                if (!r.output) return 'stale';
                response = r.output;
                metrics?.attemptsStarted.inc();
                return 'accepted';
              } catch (e) {
                // Gone (deleted, stale ref) or no longer startable: drop this task, keep polling.
                if (ChasmError.is(e) && (e.code === ErrorCode.NotFound || e.code === ErrorCode.FailedPrecondition)) return 'stale';
                throw e;
              }
            },
          },
          call.signal,
          call.deadline,
        );
        // Core reads "no task" only from an entirely default response.
        return task && response ? response : {};
      },

      async RecordActivityTaskHeartbeat(req: temporal.api.workflowservice.v1.RecordActivityTaskHeartbeatRequest) {
        blob('details', encodePayloads(req.details));
        return withToken(req, (a, ctx, token) => heartbeat(a, ctx, token, req.details), (h, ref) => h.heartbeat(ref, req));
      },
      async RecordActivityTaskHeartbeatById(req: temporal.api.workflowservice.v1.RecordActivityTaskHeartbeatByIdRequest) {
        blob('details', encodePayloads(req.details));
        return withId(req, (a, ctx, token) => heartbeat(a, ctx, token, req.details), (h, ref) => h.heartbeat(ref, { details: req.details ?? null, identity: req.identity ?? '' }));
      },
      async RespondActivityTaskCompleted(req: temporal.api.workflowservice.v1.RespondActivityTaskCompletedRequest) {
        blob('result', encodePayloads(req.result));
        await withToken(req, (a, ctx, token) => respondCompleted(a, ctx, token, req.result), (h, ref) => h.complete(ref, req));
        return {};
      },
      async RespondActivityTaskCompletedById(req: temporal.api.workflowservice.v1.RespondActivityTaskCompletedByIdRequest) {
        blob('result', encodePayloads(req.result));
        await withId(req, (a, ctx, token) => respondCompleted(a, ctx, token, req.result), (h, ref) => h.complete(ref, { result: req.result ?? null, identity: req.identity ?? '' }));
        return {};
      },
      async RespondActivityTaskFailed(req: temporal.api.workflowservice.v1.RespondActivityTaskFailedRequest) {
        await withToken(req, (a, ctx, token) => respondFailed(a, ctx, token, req.failure, req.lastHeartbeatDetails), (h, ref) => h.fail(ref, req));
        return { failures: [] };
      },
      async RespondActivityTaskFailedById(req: temporal.api.workflowservice.v1.RespondActivityTaskFailedByIdRequest) {
        await withId(req, (a, ctx, token) => respondFailed(a, ctx, token, req.failure, req.lastHeartbeatDetails), (h, ref) =>
          h.fail(ref, { failure: req.failure ?? null, identity: req.identity ?? '', lastHeartbeatDetails: req.lastHeartbeatDetails ?? null }),
        );
        return { failures: [] };
      },
      async RespondActivityTaskCanceled(req: temporal.api.workflowservice.v1.RespondActivityTaskCanceledRequest) {
        await withToken(req, (a, ctx, token) => respondCanceled(a, ctx, token, req.details, req.identity ?? ''), (h, ref) => h.cancel(ref, req));
        return {};
      },
      async RespondActivityTaskCanceledById(req: temporal.api.workflowservice.v1.RespondActivityTaskCanceledByIdRequest) {
        await withId(req, (a, ctx, token) => respondCanceled(a, ctx, token, req.details, req.identity ?? ''), (h, ref) => h.cancel(ref, { details: req.details ?? null, identity: req.identity ?? '' }));
        return {};
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

