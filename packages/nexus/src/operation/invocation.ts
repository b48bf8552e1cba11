import { ChasmError, encodeInternalCallbackToken, ErrorCode, SYSTEM_CALLBACK_URL, CALLBACK_TOKEN_HEADER, type ComponentRef, type SideEffectContext } from '@chasm/core';
import { msToTimestamp } from '@chasm/matching';
import type { Logger } from 'pino';
import type { NexusConfig } from '../config.js';
import type { NexusDispatcher, NexusTaskResult } from '../dispatch/nexus-dispatcher.js';
import type { CallbackTokenSigner } from '../http/callback-token.js';
import type { HttpNexusClient } from '../http/http-transport.js';
import { callbackUrl } from '../http/nexus-routes.js';
import type { EndpointRegistry } from '../endpoints/endpoint-registry.js';
import type { NexusEndpoint } from '../endpoints/endpoint.js';
import type { NexusMetrics } from '../metrics.js';
import { temporalProto, type temporal } from '../proto.js';
import { DestinationDownError, type EndpointCircuitBreakers } from './circuit-breakers.js';
import { encodeCallbackData } from './callback-data.js';
import type { OperationComponent, OperationState } from './operation.js';
import {
  attemptFailed,
  cancelAttempted,
  cancelTaskType,
  closed,
  invokeTaskType,
  ownerOf,
  started,
  timeOut,
  type AttemptPayload,
  type TimeoutKind,
} from './operation-machine.js';
import type { Failure, NexusLink, OwnerInfo, Payload } from './operation-owner.js';

const PayloadMsg = temporalProto.temporal.api.common.v1.Payload;
const RetryBehavior = temporalProto.temporal.api.enums.v1.NexusHandlerErrorRetryBehavior;

export interface InvocationDeps {
  readonly endpoints: EndpointRegistry;
  readonly dispatcher: NexusDispatcher;
  readonly breakers: EndpointCircuitBreakers;
  readonly config: NexusConfig;
  /** External targets: the Nexus HTTP client, the callback token signer, and this server's base URL for callbacks. */
  readonly http: HttpNexusClient;
  readonly signer: CallbackTokenSigner;
  readonly callbackBaseUrl: () => string | undefined;
  readonly metrics?: NexusMetrics;
  readonly logger?: Logger;
}

/** What one start attempt came to (reference C.3, "classifying the result"). */
type AttemptResult =
  | { readonly kind: 'sync'; readonly result: Payload | null; readonly links: readonly NexusLink[] }
  | { readonly kind: 'async'; readonly token: string; readonly links: readonly NexusLink[] }
  | { readonly kind: 'operationFailed' | 'operationCanceled'; readonly failure: Failure }
  | { readonly kind: 'attemptFailed'; readonly failure: Failure; readonly retryable: boolean }
  | { readonly kind: 'timedOut'; readonly timeout: TimeoutKind };

/** Handler error types that are not retried (reference C.3). */
const NON_RETRYABLE = new Set(['BAD_REQUEST', 'UNAUTHENTICATED', 'UNAUTHORIZED', 'NOT_FOUND', 'NOT_IMPLEMENTED']);
/** Handler error types that say the destination is down: they count against its circuit breaker. */
const DESTINATION_DOWN = new Set(['UPSTREAM_TIMEOUT', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED']);

const handlerFailure = (type: string, message: string, retryable: boolean): Failure => ({
  message,
  nexusHandlerFailureInfo: {
    type,
    retryBehavior: retryable ? RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE : RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE,
  },
});

interface Snapshot {
  readonly state: OperationState;
  readonly owner: OwnerInfo;
  readonly now: number;
}

async function snapshotOf(ctx: SideEffectContext, ref: ComponentRef): Promise<Snapshot> {
  return ctx.engine.read(ref, (c, rctx) => {
    const op = c as OperationComponent;
    return { state: structuredClone(op.state), owner: ownerOf(op).describe(op, rctx.key), now: rctx.now.getTime() };
  });
}

/** By id, then by name: an endpoint re-created under the same name still serves (reference C.3). */
async function resolveEndpoint(deps: InvocationDeps, s: OperationState): Promise<NexusEndpoint | undefined> {
  return (await deps.endpoints.getById(s.endpointId)) ?? (await deps.endpoints.getByName(s.endpoint));
}

/** A handler error from RespondNexusTaskFailed, as a failure and whether it is retried. */
function classifyHandlerError(r: Extract<NexusTaskResult, { outcome: 'failed' }>): { failure: Failure; retryable: boolean; down: boolean } {
  const info = r.failure?.nexusHandlerFailureInfo;
  const type = info?.type ?? r.error?.errorType ?? 'INTERNAL';
  const behavior = info?.retryBehavior ?? r.error?.retryBehavior ?? 0;
  const retryable =
    behavior === RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE ? true : behavior === RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE ? false : !NON_RETRYABLE.has(type);
  const failure: Failure = r.failure ?? {
    message: r.error?.failure?.message ?? `handler error ${type}`,
    nexusHandlerFailureInfo: { type, retryBehavior: behavior },
  };
  return { failure, retryable, down: DESTINATION_DOWN.has(type) };
}

/** A start response: sync result, async token, or the operation's own failure. */
function classifyStartResponse(res: temporal.api.nexus.v1.IStartOperationResponse | null | undefined, config: NexusConfig): AttemptResult {
  if (res?.syncSuccess) {
    const p = res.syncSuccess.payload ?? null;
    if (p && PayloadMsg.encode(PayloadMsg.fromObject(p)).finish().length > config.maxResultBytes) {
      return { kind: 'attemptFailed', failure: handlerFailure('INTERNAL', 'result exceeds size limit', false), retryable: false };
    }
    return { kind: 'sync', result: p, links: res.syncSuccess.links ?? [] };
  }
  if (res?.asyncSuccess) {
    const token = res.asyncSuccess.operationToken || res.asyncSuccess.operationId || '';
    if (token.length > config.maxOperationTokenLength) {
      return { kind: 'attemptFailed', failure: handlerFailure('INTERNAL', 'invalid operation token: length exceeds allowed limit', false), retryable: false };
    }
    return { kind: 'async', token, links: res.asyncSuccess.links ?? [] };
  }
  if (res?.failure) {
    return { kind: res.failure.canceledFailureInfo ? 'operationCanceled' : 'operationFailed', failure: res.failure };
  }
  if (res?.operationError) {
    const e = res.operationError;
    const failure: Failure = e.operationState === 'canceled'
      ? { message: e.failure?.message ?? 'operation canceled', canceledFailureInfo: {} }
      : { message: e.failure?.message ?? 'operation failed', applicationFailureInfo: { type: 'OperationError' } };
    return { kind: e.operationState === 'canceled' ? 'operationCanceled' : 'operationFailed', failure };
  }
  return { kind: 'attemptFailed', failure: handlerFailure('INTERNAL', 'empty start operation response', true), retryable: true };
}

/** The time an attempt may take: the request timeout, less what the schedule timeouts leave. */
function callTimeout(s: OperationState, now: number, config: NexusConfig): { ms: number; kind?: TimeoutKind } {
  const elapsed = now - s.scheduledTime;
  if (s.scheduleToStartMs > 0) return { ms: Math.min(config.requestTimeoutMs, s.scheduleToStartMs - elapsed), kind: 'scheduleToStart' };
  if (s.scheduleToCloseMs > 0) return { ms: Math.min(config.requestTimeoutMs, s.scheduleToCloseMs - elapsed), kind: 'scheduleToClose' };
  return { ms: config.requestTimeoutMs };
}

/** Runs a dispatch through the endpoint's breaker; undefined while the circuit is open. */
async function guarded(deps: InvocationDeps, endpointId: string, call: () => Promise<NexusTaskResult>): Promise<NexusTaskResult | undefined> {
  let last: NexusTaskResult | undefined;
  try {
    const r = await deps.breakers.run(endpointId, async () => {
      last = await call();
      if (last.outcome === 'timeout' || (last.outcome === 'failed' && classifyHandlerError(last).down)) throw new DestinationDownError();
      return last;
    });
    return r?.value;
  } catch (e) {
    if (e instanceof DestinationDownError && last) return last;
    throw e;
  }
}

/** Sends a start or cancel request to the endpoint's target: a worker's task queue through matching, or a URL over HTTP. */
function send(deps: InvocationDeps, endpoint: NexusEndpoint, request: temporal.api.nexus.v1.IRequest, deadline: Date, signal: AbortSignal): Promise<NexusTaskResult> {
  const target = endpoint.target;
  return target.kind === 'worker'
    ? deps.dispatcher.dispatch({ namespaceId: target.namespaceId, taskQueue: target.taskQueue, deadline, signal, request })
    : deps.http.dispatch({ url: target.url, request, deadline, signal });
}

/**
 * The completion callback the handler gets: `temporal://system` with the plain internal token for
 * worker targets (the worker is ours to trust with it); for external targets this server's
 * callback URL, with the token signed (ADR 0014).
 */
async function completionCallbackFor(deps: InvocationDeps, endpoint: NexusEndpoint, o: OwnerInfo, s: OperationState): Promise<{ url: string; token: string }> {
  const target = {
    namespaceId: o.namespaceId,
    archetype: o.archetype,
    businessId: o.businessId,
    runId: o.runId,
    data: encodeCallbackData({ scheduledEventId: s.scheduledEventId, requestId: s.requestId }),
  };
  if (endpoint.target.kind === 'worker') return { url: SYSTEM_CALLBACK_URL, token: encodeInternalCallbackToken(target) };
  const base = deps.config.callbackBaseUrl ?? deps.callbackBaseUrl();
  if (!base) throw new ChasmError(ErrorCode.Unavailable, 'no callback URL for external Nexus endpoints: set settings.nexus.callbackBaseUrl or serve the HTTP port');
  return { url: callbackUrl(base, o.namespace), token: await deps.signer.sign(target) };
}

function circuitOpen(endpoint: string): ChasmError {
  return new ChasmError(ErrorCode.Unavailable, `the circuit breaker of Nexus endpoint ${endpoint} is open`);
}

/** The start attempt, outside the lock. */
async function attempt(deps: InvocationDeps, ctx: SideEffectContext, snap: Snapshot): Promise<AttemptResult> {
  const s = snap.state;
  const endpoint = await resolveEndpoint(deps, s);
  if (!endpoint) return { kind: 'attemptFailed', failure: handlerFailure('NOT_FOUND', 'endpoint not registered', false), retryable: false };
  const timeout = callTimeout(s, snap.now, deps.config);
  if (timeout.kind && timeout.ms < deps.config.minRequestTimeoutMs) return { kind: 'timedOut', timeout: timeout.kind };
  const header: Record<string, string> = { ...s.header };
  const opTimeout = Math.min(
    s.startToCloseMs > 0 ? s.startToCloseMs : Infinity,
    s.scheduleToCloseMs > 0 ? s.scheduleToCloseMs - (snap.now - s.scheduledTime) : Infinity,
  );
  if (Number.isFinite(opTimeout) && header['operation-timeout'] === undefined) header['operation-timeout'] = `${Math.max(0, Math.floor(opTimeout))}ms`;
  const o = snap.owner;
  const callback = await completionCallbackFor(deps, endpoint, o, s);
  const r = await guarded(deps, endpoint.id, () =>
    send(
      deps,
      endpoint,
      {
        header,
        scheduledTime: msToTimestamp(snap.now),
        capabilities: { temporalFailureResponses: true },
        endpoint: endpoint.name,
        startOperation: {
          service: s.service,
          operation: s.operation,
          requestId: s.requestId,
          callback: callback.url,
          callbackHeader: { [CALLBACK_TOKEN_HEADER]: callback.token },
          ...(s.input ? { payload: PayloadMsg.decode(s.input) } : {}),
          links: [o.callerLink],
        },
      },
      new Date(snap.now + timeout.ms),
      ctx.signal,
    ),
  );
  if (!r) throw circuitOpen(endpoint.name);
  switch (r.outcome) {
    case 'completed':
      return classifyStartResponse(r.response.startOperation, deps.config);
    case 'failed': {
      const { failure, retryable } = classifyHandlerError(r);
      return { kind: 'attemptFailed', failure, retryable };
    }
    case 'timeout':
      return { kind: 'attemptFailed', failure: handlerFailure('UPSTREAM_TIMEOUT', 'request timed out', true), retryable: true };
    case 'canceled':
      throw new ChasmError(ErrorCode.Unavailable, 'nexus dispatch canceled: the server is stopping');
  }
}

/** The wired invocation task (reference C.3). */
export function wiredInvokeTask(deps: InvocationDeps) {
  return invokeTaskType(async (ctx, ref, p: AttemptPayload) => {
    const snap = await snapshotOf(ctx, ref);
    const started0 = Date.now();
    const r = await attempt(deps, ctx, snap);
    if (ctx.signal.aborted) throw new ChasmError(ErrorCode.Unavailable, 'shutting down');
    deps.metrics?.operationAttempts.inc({ outcome: r.kind });
    deps.metrics?.operationAttemptLatency.observe({ outcome: r.kind }, (Date.now() - started0) / 1000);
    deps.logger?.debug(
      { endpoint: snap.state.endpoint, service: snap.state.service, operation: snap.state.operation, attempt: p.attempt, outcome: r.kind },
      'nexus operation attempt',
    );
    await ctx.engine.update(ref, (c, tx) => {
      const op = c as OperationComponent;
      switch (r.kind) {
        case 'sync':
          closed(op, tx, { kind: 'succeeded', result: r.result, links: r.links }, true);
          break;
        case 'async':
          started(op, tx, r.token, r.links);
          break;
        case 'operationFailed':
          closed(op, tx, { kind: 'failed', failure: r.failure }, true);
          break;
        case 'operationCanceled':
          closed(op, tx, { kind: 'canceled', failure: r.failure }, true);
          break;
        case 'attemptFailed':
          if (r.retryable) attemptFailed(op, tx, r.failure);
          else closed(op, tx, { kind: 'failed', failure: r.failure }, true);
          break;
        case 'timedOut':
          timeOut(op, tx, r.timeout, true);
          break;
      }
      if (!['scheduled', 'backingOff', 'started'].includes(op.state.status)) deps.metrics?.operationsClosed.inc({ status: op.state.status });
    });
  });
}

/** The wired cancel task (reference C.4): CancelOperation to the handler with the operation's token. */
export function wiredCancelTask(deps: InvocationDeps) {
  return cancelTaskType(async (ctx, ref) => {
    const snap = await snapshotOf(ctx, ref);
    const s = snap.state;
    const result = await (async (): Promise<{ failure: Failure | null; retryable: boolean }> => {
      const endpoint = await resolveEndpoint(deps, s);
      if (!endpoint) return { failure: handlerFailure('NOT_FOUND', 'endpoint not registered', false), retryable: false };
      const left = Math.min(
        deps.config.requestTimeoutMs,
        s.startToCloseMs > 0 && s.startedTime !== null ? s.startToCloseMs - (snap.now - s.startedTime) : Infinity,
        s.scheduleToCloseMs > 0 ? s.scheduleToCloseMs - (snap.now - s.scheduledTime) : Infinity,
      );
      if (left < deps.config.minRequestTimeoutMs) return { failure: { message: 'operation timed out before cancellation could be delivered', timeoutFailureInfo: {} }, retryable: false };
      const r = await guarded(deps, endpoint.id, () =>
        send(
          deps,
          endpoint,
          {
            header: { ...s.header },
            capabilities: { temporalFailureResponses: true },
            endpoint: endpoint.name,
            cancelOperation: { service: s.service, operation: s.operation, operationToken: s.operationToken, operationId: s.operationToken },
          },
          new Date(snap.now + left),
          ctx.signal,
        ),
      );
      if (!r) throw circuitOpen(endpoint.name);
      switch (r.outcome) {
        case 'completed':
          return { failure: null, retryable: false };
        case 'failed': {
          const { failure, retryable } = classifyHandlerError(r);
          return { failure, retryable };
        }
        case 'timeout':
          return { failure: handlerFailure('UPSTREAM_TIMEOUT', 'request timed out', true), retryable: true };
        case 'canceled':
          throw new ChasmError(ErrorCode.Unavailable, 'nexus dispatch canceled: the server is stopping');
      }
    })();
    if (ctx.signal.aborted) throw new ChasmError(ErrorCode.Unavailable, 'shutting down');
    deps.metrics?.cancelAttempts.inc({ outcome: result.failure === null ? 'delivered' : result.retryable ? 'retrying' : 'failed' });
    await ctx.engine.update(ref, (c, tx) => cancelAttempted(c as OperationComponent, tx, result.failure, result.retryable));
  });
}
