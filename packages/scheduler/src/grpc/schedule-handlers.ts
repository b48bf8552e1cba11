import {
  ChasmError,
  ErrorCode,
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  NotFoundError,
  parseVisibilityQuery,
  WORKFLOW_SERVICE,
  type Engine,
  type MutableContext,
  type NamespaceResolver,
  type RpcHandlerSet,
  type ServiceClient,
  type VisibilityFilter,
  type VisibilityQueryLanguage,
} from '@chasm/core';
import { decodeMessage, encodeMessage, long, msToTimestamp, optionalTimestampToMs, searchAttributeValues, temporalProto, type ProtoTime, type temporal } from '@chasm/matching';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { SchedulerConfig } from '../config.js';
import { ConflictTokenMismatchError, ScheduleNotFoundError, TooManyBackfillersError } from '../errors.js';
import { futureTimes } from '../generator/generate.js';
import type { SchedulerMetrics } from '../metrics.js';
import { compiledSpecOf, seedOf } from '../scheduler/compiled.js';
import { Scheduler, schedulerTarget, type ListEntryMemo, type SchedulerComponent } from '../scheduler/scheduler.js';
import type { OverlapPolicy, SchedulerState, Tweakables } from '../scheduler/scheduler-state.js';
import { recentActions, refreshSummary } from '../scheduler/summary.js';
import { matchingTimes } from '@chasm/schedule-spec';
import { BackfillTask, requestGenerate } from '../tasks.js';
import { checkCustomAttributes, customAttributeTypes } from './custom-attributes.js';
import { decodeConflictToken, describeResponse, encodeConflictToken, renderRecentAction, renderSpec } from './render.js';
import { checkBackfill, checkNotes, checkRequestId, checkSchedule, checkScheduleId, overlapPolicyName, type CheckedSchedule } from './validate.js';

const api = temporalProto.temporal.api;
const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface ScheduleHandlerDeps {
  readonly engine: Engine;
  readonly namespaces: NamespaceResolver;
  readonly services: ServiceClient;
  readonly config: SchedulerConfig;
  readonly logger?: Logger;
  readonly metrics?: SchedulerMetrics;
}

/** System attributes the scheduler sets on the workflows it starts: allowed in the action's attributes. */
const SCHEDULED_BY = new Set(['TemporalScheduledStartTime', 'TemporalScheduledById']);

/** List/Count: custom attributes, TemporalSchedulePaused and ScheduleId (reference A.12). */
const LANGUAGE_FIELDS: VisibilityQueryLanguage['fields'] = {
  ScheduleId: { field: 'BusinessId', type: 'Keyword' },
  TemporalSchedulePaused: { field: 'TemporalSchedulePaused', type: 'Bool' },
  ScheduleNextActionTime: { field: 'ScheduleNextActionTime', type: 'Datetime' },
  ScheduleIdleCloseTime: { field: 'ScheduleIdleCloseTime', type: 'Datetime' },
  ScheduleRunningWorkflowCount: { field: 'ScheduleRunningWorkflowCount', type: 'Int' },
  ScheduleBufferedStartsCount: { field: 'ScheduleBufferedStartsCount', type: 'Int' },
};
const RUNNING: VisibilityFilter = { kind: 'compare', field: 'Status', op: '=', value: 'Running' };

function tweakablesOf(c: SchedulerConfig): Tweakables {
  return {
    defaultCatchupWindowMs: c.defaultCatchupWindowMs,
    minCatchupWindowMs: c.minCatchupWindowMs,
    maxBufferSize: c.maxBufferSize,
    generatorBufferReserveSize: c.generatorBufferReserveSize,
    maxActionsPerExecution: c.maxActionsPerExecution,
    idleTimeMs: c.idleTimeMs,
    maxStartAttempts: c.maxStartAttempts,
    retryInitialMs: c.retryInitialMs,
    retryMaxMs: c.retryMaxMs,
    recentCompletedKept: c.recentCompletedKept,
  };
}

/** What a patch asks for, validated before anything is stored. */
interface CheckedPatch {
  readonly pause: string | undefined;
  readonly unpause: string | undefined;
  readonly trigger: { overlapPolicy: OverlapPolicy } | undefined;
  readonly backfills: { startTime: number; endTime: number; overlapPolicy: OverlapPolicy }[];
}

function checkPatch(field: string, p: temporal.api.schedule.v1.ISchedulePatch | null | undefined): CheckedPatch {
  if (!p) return { pause: undefined, unpause: undefined, trigger: undefined, backfills: [] };
  return {
    pause: p.pause ? checkNotes(`${field}.pause`, p.pause) : undefined,
    unpause: p.unpause ? checkNotes(`${field}.unpause`, p.unpause) : undefined,
    trigger: p.triggerImmediately ? { overlapPolicy: overlapPolicyName(`${field}.trigger_immediately.overlap_policy`, p.triggerImmediately.overlapPolicy) } : undefined,
    backfills: (p.backfillRequest ?? []).map((b, i) => checkBackfill(`${field}.backfill_request[${i}]`, b ?? {})),
  };
}

/** Applies a validated patch in a transaction (reference A.9, A.10). */
function applyPatch(root: SchedulerComponent, ctx: MutableContext, patch: CheckedPatch, maxBackfillers: number): void {
  const s = root.state;
  const now = ctx.now.getTime();
  if (patch.pause !== undefined) {
    s.paused = true;
    s.notes = patch.pause;
  }
  if (patch.unpause !== undefined) {
    s.paused = false;
    s.notes = patch.unpause;
  }
  const added = patch.backfills.length + (patch.trigger ? 1 : 0);
  if (root.fields.backfillers.size + added > maxBackfillers) throw new TooManyBackfillersError();
  const add = (kind: 'range' | 'trigger', startTime: number, endTime: number, overlapPolicy: OverlapPolicy): void => {
    const backfillId = randomUUID();
    const bf = root.fields.backfillers.create(backfillId, { backfillId, kind, startTime, endTime, overlapPolicy, lastProcessedTime: null, attempt: 0, stamp: 1 });
    ctx.addTask(bf, BackfillTask, { stamp: 1 });
  };
  if (patch.trigger) add('trigger', now, now, patch.trigger.overlapPolicy);
  for (const b of patch.backfills) add('range', b.startTime, b.endTime, b.overlapPolicy);
}

function scheduleFields(s: SchedulerState, c: CheckedSchedule): void {
  s.spec = c.spec;
  s.paused = c.paused;
  s.notes = c.notes;
  s.limitedActions = c.limitedActions;
  s.remainingActions = c.remainingActions;
  s.overlapPolicy = c.overlapPolicy;
  s.catchupWindowMs = c.catchupWindowMs;
  s.pauseOnFailure = c.pauseOnFailure;
  s.keepOriginalWorkflowId = c.keepOriginalWorkflowId;
  s.workflowType = c.action?.startWorkflow?.workflowType?.name ?? '';
  s.actionWorkflowId = c.action?.startWorkflow?.workflowId ?? '';
}

const actionBytes = (c: CheckedSchedule): Uint8Array | null => encodeMessage(api.schedule.v1.ScheduleAction, c.action ? api.schedule.v1.ScheduleAction.fromObject(c.action) : null);

/** The WorkflowService schedule methods (reference A.1). */
export function scheduleRpcHandlers(deps: ScheduleHandlerDeps): RpcHandlerSet {
  const { engine, namespaces, services, config } = deps;

  /** After an update or patch: fresh tunables, update time and token, then a generator run (reference A.10). */
  const changed = (root: SchedulerComponent, ctx: MutableContext): void => {
    const s = root.state;
    s.tweakables = tweakablesOf(config);
    s.info.updateTime = ctx.now.getTime();
    s.conflictToken++;
    refreshSummary(root);
    requestGenerate(ctx, root);
  };

  /** A running schedule; NOT_FOUND once deleted or closed idle. */
  const open = (root: SchedulerComponent): SchedulerComponent => {
    if (root.state.closed) throw new ScheduleNotFoundError(root.state.scheduleId);
    return root;
  };
  const notFound = (scheduleId: string) => (e: unknown): never => {
    if (e instanceof NotFoundError && !(e instanceof ScheduleNotFoundError)) throw new ScheduleNotFoundError(scheduleId);
    throw e;
  };
  const checkSize = (schedule: temporal.api.schedule.v1.ISchedule | null | undefined, memo: temporal.api.common.v1.IMemo | null | undefined): void => {
    const size = (encodeMessage(api.schedule.v1.Schedule, api.schedule.v1.Schedule.fromObject(schedule ?? {}))?.length ?? 0) + (memo ? (encodeMessage(api.common.v1.Memo, api.common.v1.Memo.fromObject(memo))?.length ?? 0) : 0);
    if (size > config.blobSizeLimitBytes) throw new InvalidArgumentError('schedule', `Schedule plus memo size ${size} exceeds the limit of ${config.blobSizeLimitBytes} bytes.`);
  };
  const checkAttributes = async (namespace: string, req: { searchAttributes?: temporal.api.common.v1.ISearchAttributes | null; schedule?: temporal.api.schedule.v1.ISchedule | null }): Promise<void> => {
    const actionSa = req.schedule?.action?.startWorkflow?.searchAttributes;
    if (!Object.keys(req.searchAttributes?.indexedFields ?? {}).length && !Object.keys(actionSa?.indexedFields ?? {}).length) return;
    const types = await customAttributeTypes(services, namespace);
    checkCustomAttributes('search_attributes', req.searchAttributes, types);
    checkCustomAttributes('schedule.action.start_workflow.search_attributes', actionSa, types, SCHEDULED_BY);
  };

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async CreateSchedule(req: temporal.api.workflowservice.v1.ICreateScheduleRequest) {
        const namespace = req.namespace ?? '';
        const namespaceId = await namespaces.idOf(namespace);
        const scheduleId = checkScheduleId(req.scheduleId, config);
        const requestId = checkRequestId(req.requestId, config);
        const checked = checkSchedule(req.schedule, config);
        const patch = checkPatch('initial_patch', req.initialPatch);
        checkSize(req.schedule, req.memo);
        await checkAttributes(namespace, req);
        if (patch.backfills.length + (patch.trigger ? 1 : 0) > config.maxBackfillers) throw new TooManyBackfillersError();
        try {
          const r = await engine.start(Scheduler, { namespaceId, businessId: scheduleId }, {
            requestId,
            reusePolicy: 'allowDuplicate',
            conflictPolicy: 'fail',
            init: (ctx) => {
              const s: SchedulerState = {
                namespace,
                namespaceId,
                scheduleId,
                conflictToken: 1,
                closed: false,
                paused: false,
                notes: '',
                limitedActions: false,
                remainingActions: 0,
                overlapPolicy: 'UNSPECIFIED',
                catchupWindowMs: 0,
                pauseOnFailure: false,
                keepOriginalWorkflowId: false,
                spec: checked.spec,
                workflowType: '',
                actionWorkflowId: '',
                info: { actionCount: 0, missedCatchupWindow: 0, overlapSkipped: 0, bufferDropped: 0, createTime: ctx.now.getTime(), updateTime: 0 },
                idleCloseTime: null,
                tweakables: tweakablesOf(config),
                memo: req.memo ? encodeMessage(api.common.v1.Memo, api.common.v1.Memo.fromObject(req.memo)) : null,
                searchAttributes: Object.keys(req.searchAttributes?.indexedFields ?? {}).length ? encodeMessage(api.common.v1.SearchAttributes, api.common.v1.SearchAttributes.fromObject(req.searchAttributes!)) : null,
                searchAttributeValues: searchAttributeValues(req.searchAttributes),
                summary: { recentActions: [], futureActionTimes: [], runningWorkflows: 0, bufferedStarts: 0, nextActionTime: null },
              };
              scheduleFields(s, checked);
              return s;
            },
            run: (root, ctx) => {
              root.fields.generator.create({ lastProcessedTime: null, timerStamp: 0, futureActionTimes: [] });
              root.fields.invoker.create({ bufferedStarts: [], cancelWorkflows: [], terminateWorkflows: [], retryStamp: 0 });
              root.fields.action.set({ action: actionBytes(checked) });
              if (req.initialPatch) applyPatch(root, ctx, patch, config.maxBackfillers);
              refreshSummary(root);
              requestGenerate(ctx, root);
              return root.state.conflictToken;
            },
          });
          if (r.created) deps.metrics?.schedules.inc({ event: 'created' });
          return { conflictToken: encodeConflictToken(r.output ?? 1) };
        } catch (e) {
          if (e instanceof ExecutionAlreadyStartedError) {
            throw new ExecutionAlreadyStartedError(`schedule ${JSON.stringify(scheduleId)} is already registered`, e.currentRunId, e.currentRequestId);
          }
          throw e;
        }
      },

      async DescribeSchedule(req: temporal.api.workflowservice.v1.IDescribeScheduleRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const scheduleId = req.scheduleId ?? '';
        return engine
          .read(schedulerTarget(namespaceId, scheduleId), (root, ctx) => {
            const s = open(root).state;
            const gen = root.fields.generator.get()?.state;
            const invoker = root.fields.invoker.get();
            const now = ctx.now.getTime();
            const count = s.limitedActions ? Math.min(Math.max(s.remainingActions, 0), 10) : 10;
            const recent = recentActions(invoker);
            const buffer = invoker?.state.bufferedStarts ?? [];
            return describeResponse({
              state: s,
              action: decodeMessage(api.schedule.v1.ScheduleAction, root.fields.action.get()?.action ?? null),
              recent,
              futureActionTimes: futureTimes(s, Math.max(now, s.info.updateTime, gen?.lastProcessedTime ?? 0), count),
              bufferSize: buffer.filter((b) => b.runId === null && b.completed === null).length,
            });
          })
          .catch(notFound(scheduleId));
      },

      async UpdateSchedule(req: temporal.api.workflowservice.v1.IUpdateScheduleRequest) {
        const namespace = req.namespace ?? '';
        const namespaceId = await namespaces.idOf(namespace);
        const scheduleId = req.scheduleId ?? '';
        const checked = checkSchedule(req.schedule, config);
        checkSize(req.schedule, req.memo);
        await checkAttributes(namespace, req);
        const token = decodeConflictToken(req.conflictToken);
        await engine
          .update(schedulerTarget(namespaceId, scheduleId), (root, ctx) => {
            const s = open(root).state;
            if (token !== undefined && token !== s.conflictToken) throw new ConflictTokenMismatchError();
            scheduleFields(s, checked);
            root.fields.action.set({ action: actionBytes(checked) });
            // Unset leaves attributes alone; set replaces them all (an empty map clears them).
            if (req.searchAttributes) {
              const fields = req.searchAttributes.indexedFields ?? {};
              s.searchAttributes = Object.keys(fields).length ? encodeMessage(api.common.v1.SearchAttributes, api.common.v1.SearchAttributes.fromObject(req.searchAttributes)) : null;
              s.searchAttributeValues = searchAttributeValues(req.searchAttributes);
            }
            if (req.memo) s.memo = encodeMessage(api.common.v1.Memo, api.common.v1.Memo.fromObject(req.memo));
            changed(root, ctx);
          })
          .catch(notFound(scheduleId));
        deps.metrics?.schedules.inc({ event: 'updated' });
        return {};
      },

      async PatchSchedule(req: temporal.api.workflowservice.v1.IPatchScheduleRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const scheduleId = req.scheduleId ?? '';
        if (!req.patch) throw new InvalidArgumentError('patch', 'Patch is not set on request.');
        const patch = checkPatch('patch', req.patch);
        await engine
          .update(schedulerTarget(namespaceId, scheduleId), (root, ctx) => {
            open(root);
            applyPatch(root, ctx, patch, config.maxBackfillers);
            changed(root, ctx);
          })
          .catch(notFound(scheduleId));
        deps.metrics?.schedules.inc({ event: 'patched' });
        return {};
      },

      async DeleteSchedule(req: temporal.api.workflowservice.v1.IDeleteScheduleRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const scheduleId = req.scheduleId ?? '';
        const target = schedulerTarget(namespaceId, scheduleId);
        // A schedule closed idle is already gone for its users.
        await engine.read(target, (root) => open(root)).catch(notFound(scheduleId));
        await engine.delete(target, 'schedule deleted').catch(notFound(scheduleId));
        deps.metrics?.schedules.inc({ event: 'deleted' });
        return {};
      },

      async ListScheduleMatchingTimes(req: temporal.api.workflowservice.v1.IListScheduleMatchingTimesRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const scheduleId = req.scheduleId ?? '';
        const start = optionalTimestampToMs(req.startTime as ProtoTime | null | undefined, 'start_time');
        const end = optionalTimestampToMs(req.endTime as ProtoTime | null | undefined, 'end_time');
        const state = await engine.read(schedulerTarget(namespaceId, scheduleId), (root) => open(root).state).catch(notFound(scheduleId));
        const times = matchingTimes(compiledSpecOf(state), start === undefined ? undefined : new Date(start), end === undefined ? undefined : new Date(end), seedOf(state));
        return { startTime: times.map((t) => msToTimestamp(t)) };
      },

      async ListSchedules(req: temporal.api.workflowservice.v1.IListSchedulesRequest) {
        const namespace = req.namespace ?? '';
        const namespaceId = await namespaces.idOf(namespace);
        const filter = await scheduleFilter(namespace, req.query);
        const pageSize = Math.min(req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : config.maxPageSize, config.maxPageSize);
        const page = await engine.list(Scheduler, {
          namespaceId,
          filter,
          pageSize,
          ...(req.nextPageToken?.length ? { pageToken: dec.decode(req.nextPageToken) } : {}),
        });
        return {
          schedules: page.records.map((r) => listEntry(r.businessId, r.memo)),
          nextPageToken: page.nextPageToken ? enc.encode(page.nextPageToken) : EMPTY,
        };
      },

      async CountSchedules(req: temporal.api.workflowservice.v1.ICountSchedulesRequest) {
        const namespace = req.namespace ?? '';
        const namespaceId = await namespaces.idOf(namespace);
        const filter = await scheduleFilter(namespace, req.query);
        return { count: long(await engine.count(Scheduler, { namespaceId, filter })), groups: [] };
      },
    },
  };

  async function scheduleFilter(namespace: string, query: string | null | undefined): Promise<VisibilityFilter> {
    if (!query?.trim()) return RUNNING;
    const custom = await customAttributeTypes(services, namespace).catch((e: unknown) => {
      // Without a package serving ListSearchAttributes, schedules have no custom attributes.
      if (ChasmError.is(e) && e.code === ErrorCode.Unimplemented) return new Map();
      throw e;
    });
    const parsed = parseVisibilityQuery(query, { fields: LANGUAGE_FIELDS, customAttributes: custom, orderBy: false });
    return parsed.filter ? { kind: 'and', clauses: [RUNNING, parsed.filter] } : RUNNING;
  }
}

/** A ListSchedules entry from the visibility record's memo (reference A.12). */
function listEntry(scheduleId: string, memo: Uint8Array | null): temporal.api.schedule.v1.IScheduleListEntry {
  if (!memo) return { scheduleId };
  const m = JSON.parse(dec.decode(memo)) as ListEntryMemo;
  const b = (s: string | null): Uint8Array | null => (s === null ? null : new Uint8Array(Buffer.from(s, 'base64')));
  return {
    scheduleId,
    memo: m.memo ? api.common.v1.Memo.decode(b(m.memo)!) : null,
    searchAttributes: m.searchAttributes ? api.common.v1.SearchAttributes.decode(b(m.searchAttributes)!) : null,
    info: {
      spec: renderSpec(m.spec, 10),
      workflowType: { name: m.workflowType },
      notes: m.notes,
      paused: m.paused,
      recentActions: m.summary.recentActions.map(renderRecentAction),
      futureActionTimes: m.summary.futureActionTimes.map((t) => msToTimestamp(t)),
    },
  };
}
