import { randomUUID } from 'node:crypto';
import {
  ChasmError,
  ErrorCode,
  InvalidArgumentError,
  NotFoundError,
  WORKFLOW_SERVICE,
  encodeRef,
  parseVisibilityQuery,
  countGroupedByStatus,
  longPollSeenTransitions,
  type Context,
  type Engine,
  type IdConflictPolicy,
  type IdReusePolicy,
  type NamespaceResolver,
  type RpcCallContext,
  type RpcHandlerSet,
} from '@chasm/core';
import { durationToMs, jsonPayload } from '@chasm/matching';
import type { Logger } from 'pino';
import type { NexusConfig } from '../config.js';
import type { EndpointRegistry } from '../endpoints/endpoint-registry.js';
import { NexusOperationAlreadyStartedError } from '../errors.js';
import type { NexusMetrics } from '../metrics.js';
import { temporalProto, type temporal } from '../proto.js';
import type { EndpointCircuitBreakers } from '../operation/circuit-breakers.js';
import { NexusOperation, operationTarget, PENDING, type OperationComponent, type OperationState } from '../operation/operation.js';
import { requestCancelStandalone, scheduled, terminate } from '../operation/operation-machine.js';
import { describeInfo, listInfo, outcomeOf } from './operation-encode.js';
import { OPERATION_QUERY_LANGUAGE, EXECUTION_STATUS_NAMES } from './operation-query.js';
import { checkNexusHeader } from '../operation/header.js';

const E = temporalProto.temporal.api.enums.v1;
const PayloadMsg = temporalProto.temporal.api.common.v1.Payload;
const SAMsg = temporalProto.temporal.api.common.v1.SearchAttributes;
const MetaMsg = temporalProto.temporal.api.sdk.v1.UserMetadata;

/** The 8 standalone Nexus operation methods (reference C.6). */
export const OPERATION_METHODS = [
  'StartNexusOperationExecution',
  'DescribeNexusOperationExecution',
  'PollNexusOperationExecution',
  'ListNexusOperationExecutions',
  'CountNexusOperationExecutions',
  'RequestCancelNexusOperationExecution',
  'TerminateNexusOperationExecution',
  'DeleteNexusOperationExecution',
] as const;

export interface OperationServiceDeps {
  readonly engine: Engine;
  readonly namespaces: NamespaceResolver;
  readonly endpoints: EndpointRegistry;
  readonly breakers: EndpointCircuitBreakers;
  readonly config: NexusConfig;
  readonly logger?: Logger;
  readonly metrics?: NexusMetrics;
}

const REUSE: Readonly<Record<number, IdReusePolicy>> = { 1: 'allowDuplicate', 2: 'allowDuplicateFailedOnly', 3: 'rejectDuplicate' };
const CONFLICT: Readonly<Record<number, IdConflictPolicy>> = { 1: 'fail', 2: 'useExisting' };

/** Runs `fn`; the engine's "execution not found" becomes `operation not found for ID: X`. */
async function forOperation<T>(operationId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.NotFound && e.message.startsWith('execution not found')) throw new NotFoundError(`operation not found for ID: ${operationId}`, { operationId });
    throw e;
  }
}

export function operationRpcHandlers(deps: OperationServiceDeps): RpcHandlerSet {
  const { engine, namespaces, config, metrics, logger } = deps;
  const required = (field: string, value: string | null | undefined, max = config.maxIdLength): string => {
    if (!value) throw new InvalidArgumentError(field, `${field} is required`);
    if (value.length > max) throw new InvalidArgumentError(field, `${field} exceeds length limit of ${max}`);
    return value;
  };
  const limited = (field: string, value: string | null | undefined): string => {
    const v = value ?? '';
    if (v.length > config.maxIdLength) throw new InvalidArgumentError(field, `${field} exceeds length limit of ${config.maxIdLength}`);
    return v;
  };
  const longPollDeadline = (call: RpcCallContext): Date => {
    const cap = Date.now() + config.longPollTimeoutMs;
    return new Date(Math.min(call.deadline ? call.deadline.getTime() - 1_000 : cap, cap));
  };
  const describe = (op: OperationComponent, ctx: Context, req: temporal.api.workflowservice.v1.IDescribeNexusOperationExecutionRequest): Record<string, unknown> => ({
    runId: ctx.key.runId,
    info: describeInfo(op, ctx.key, ctx.now.getTime(), ctx.transitionCount, deps.breakers.isOpen(op.state.endpointId)),
    ...(req.includeInput && op.state.input ? { input: PayloadMsg.decode(op.state.input) } : {}),
    ...(req.includeOutcome ? outcomeOf(op.state) : {}),
    longPollToken: encodeRef(ctx.ref(op)),
  });

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async StartNexusOperationExecution(req: temporal.api.workflowservice.v1.IStartNexusOperationExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const identity = limited('identity', req.identity);
        const operationId = required('operation_id', req.operationId);
        const endpointName = required('endpoint', req.endpoint);
        const service = required('service', req.service, config.maxServiceNameLength);
        const operation = required('operation', req.operation, config.maxOperationNameLength);
        const s2c = durationToMs(req.scheduleToCloseTimeout, 'schedule_to_close_timeout');
        let s2s = durationToMs(req.scheduleToStartTimeout, 'schedule_to_start_timeout');
        let stc = durationToMs(req.startToCloseTimeout, 'start_to_close_timeout');
        if (s2c > 0) {
          s2s = Math.min(s2s, s2c);
          stc = Math.min(stc, s2c);
        }
        const input = req.input ? PayloadMsg.encode(PayloadMsg.fromObject(req.input)).finish() : null;
        if (input && input.length > config.maxInputBytes) throw new InvalidArgumentError('input', `input exceeds size limit of ${config.maxInputBytes} bytes`);
        const header = checkNexusHeader(req.nexusHeader, config, (msg) => new InvalidArgumentError('nexus_header', msg));
        const endpoint = await deps.endpoints.getByName(endpointName);
        if (!endpoint) throw new NotFoundError(`endpoint not found: ${endpointName}`, { endpoint: endpointName });
        const reusePolicy = REUSE[req.idReusePolicy ?? 0];
        const conflictPolicy = CONFLICT[req.idConflictPolicy ?? 0];
        const namespace = req.namespace ?? '';
        try {
          const r = await engine.start(NexusOperation, { namespaceId, businessId: operationId }, {
            init: (ctx): OperationState => ({
              status: 'scheduled',
              endpointId: endpoint.id,
              endpoint: endpoint.name,
              service,
              operation,
              scheduledTime: ctx.now.getTime(),
              startedTime: null,
              closedTime: null,
              scheduleToCloseMs: s2c,
              scheduleToStartMs: s2s,
              startToCloseMs: stc,
              requestId: randomUUID(),
              attempt: 1,
              lastAttemptCompleteTime: null,
              lastAttemptFailure: null,
              nextAttemptScheduleTime: null,
              operationToken: '',
              input,
              header,
              scheduledEventId: 0,
              cancellation: null,
              standalone: {
                operationId,
                namespace,
                identity,
                userMetadata: req.userMetadata ? MetaMsg.encode(MetaMsg.fromObject(req.userMetadata)).finish() : null,
                searchAttributesBytes: req.searchAttributes ? SAMsg.encode(SAMsg.fromObject(req.searchAttributes)).finish() : null,
                result: null,
                failure: null,
                links: [],
                cancelRequestId: '',
                cancelReason: '',
                cancelIdentity: '',
                terminateRequestId: '',
              },
            }),
            run: (root, ctx) => scheduled(root, ctx),
            requestId,
            reusePolicy: reusePolicy ?? 'allowDuplicate',
            conflictPolicy: conflictPolicy ?? 'fail',
          });
          metrics?.standaloneStarts.inc({ outcome: r.created ? 'created' : 'existing' });
          logger?.debug({ operationId, runId: r.runId, created: r.created }, 'standalone nexus operation started');
          return { runId: r.runId, started: r.created };
        } catch (e) {
          if (ChasmError.is(e) && e.code === ErrorCode.AlreadyExists && typeof e.details['currentRunId'] === 'string') {
            throw new NexusOperationAlreadyStartedError(operationId, e.details['currentRunId'], String(e.details['currentRequestId'] ?? ''));
          }
          throw e;
        }
      },

      async DescribeNexusOperationExecution(req: temporal.api.workflowservice.v1.IDescribeNexusOperationExecutionRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const operationId = required('operation_id', req.operationId);
        const runId = req.runId ?? '';
        if (!req.longPollToken || req.longPollToken.length === 0) {
          return forOperation(operationId, () => engine.read(operationTarget(namespaceId, operationId, runId), (op, ctx) => describe(op, ctx, req)));
        }
        const seen = longPollSeenTransitions(req.longPollToken, { namespaceId, businessId: operationId, runId, archetype: NexusOperation.name });
        const r = await forOperation(operationId, () =>
          engine.poll(operationTarget(namespaceId, operationId, runId), (op, ctx) => (ctx.transitionCount > seen ? describe(op, ctx, req) : undefined), {
            signal: call.signal,
            deadline: longPollDeadline(call),
          }),
        );
        return r.value ?? {};
      },

      async PollNexusOperationExecution(req: temporal.api.workflowservice.v1.IPollNexusOperationExecutionRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const operationId = required('operation_id', req.operationId);
        const Stage = E.NexusOperationWaitStage;
        const stage = req.waitStage ?? 0;
        if (stage !== Stage.NEXUS_OPERATION_WAIT_STAGE_UNSPECIFIED && stage !== Stage.NEXUS_OPERATION_WAIT_STAGE_STARTED && stage !== Stage.NEXUS_OPERATION_WAIT_STAGE_CLOSED) {
          throw new InvalidArgumentError('wait_stage', `invalid wait stage ${stage}`);
        }
        const waitStarted = stage === Stage.NEXUS_OPERATION_WAIT_STAGE_STARTED;
        const r = await forOperation(operationId, () =>
          engine.poll(
            operationTarget(namespaceId, operationId, req.runId),
            (op, ctx) => {
              const closed = !PENDING.has(op.state.status);
              if (!closed && !(waitStarted && op.state.status === 'started')) return undefined;
              return {
                runId: ctx.key.runId,
                waitStage: closed ? Stage.NEXUS_OPERATION_WAIT_STAGE_CLOSED : Stage.NEXUS_OPERATION_WAIT_STAGE_STARTED,
                operationToken: op.state.operationToken,
                ...(closed ? outcomeOf(op.state) : {}),
              };
            },
            { signal: call.signal, deadline: longPollDeadline(call) },
          ),
        );
        // Deadline first: an empty response means "poll again" (the SDK loops).
        return r.value ?? {};
      },

      async ListNexusOperationExecutions(req: temporal.api.workflowservice.v1.IListNexusOperationExecutionsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const { filter, groupBy } = parseVisibilityQuery(req.query ?? '', OPERATION_QUERY_LANGUAGE);
        if (groupBy) throw new InvalidArgumentError('query', 'GROUP BY is only supported by Count');
        if ((req.pageSize ?? 0) < 0) throw new InvalidArgumentError('page_size', 'page_size must not be negative');
        const size = req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, config.maxPageSize) : config.defaultPageSize;
        const pageToken = req.nextPageToken && req.nextPageToken.length > 0 ? Buffer.from(req.nextPageToken).toString('utf8') : undefined;
        const page = await engine.list(NexusOperation, { namespaceId, pageSize: size, ...(filter ? { filter } : {}), ...(pageToken ? { pageToken } : {}) });
        return { operations: page.records.map(listInfo), nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'utf8') : Buffer.alloc(0) };
      },

      async CountNexusOperationExecutions(req: temporal.api.workflowservice.v1.ICountNexusOperationExecutionsRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const { filter, groupBy } = parseVisibilityQuery(req.query ?? '', OPERATION_QUERY_LANGUAGE);
        if (!groupBy) return { count: await engine.count(NexusOperation, { namespaceId, ...(filter ? { filter } : {}) }), groups: [] };
        const r = await countGroupedByStatus(engine, NexusOperation, { namespaceId, filter, field: 'Status', statuses: EXECUTION_STATUS_NAMES });
        return { count: r.count, groups: r.groups.map((g) => ({ groupValues: [jsonPayload(g.status, 'Keyword')], count: g.count })) };
      },

      async RequestCancelNexusOperationExecution(req: temporal.api.workflowservice.v1.IRequestCancelNexusOperationExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const operationId = required('operation_id', req.operationId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const reason = req.reason ?? '';
        if (reason.length > 1000) throw new InvalidArgumentError('reason', 'reason exceeds length limit of 1000');
        await forOperation(operationId, () =>
          engine.update(operationTarget(namespaceId, operationId, req.runId), (op, ctx) =>
            requestCancelStandalone(op, ctx, { requestId, reason, identity: limited('identity', req.identity) }),
          ),
        );
        return {};
      },

      async TerminateNexusOperationExecution(req: temporal.api.workflowservice.v1.ITerminateNexusOperationExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const operationId = required('operation_id', req.operationId);
        const requestId = limited('request_id', req.requestId) || randomUUID();
        const reason = req.reason ?? '';
        if (reason.length > 1000) throw new InvalidArgumentError('reason', 'reason exceeds length limit of 1000');
        await forOperation(operationId, () =>
          engine.update(operationTarget(namespaceId, operationId, req.runId), (op, ctx) => terminate(op, ctx, reason, limited('identity', req.identity), requestId)),
        );
        return {};
      },

      async DeleteNexusOperationExecution(req: temporal.api.workflowservice.v1.IDeleteNexusOperationExecutionRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const operationId = required('operation_id', req.operationId);
        await forOperation(operationId, () => engine.delete(operationTarget(namespaceId, operationId, req.runId), 'Delete nexus operation execution'));
        return {};
      },
    },
  };
}
