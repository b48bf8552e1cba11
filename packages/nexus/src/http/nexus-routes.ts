import { randomUUID } from 'node:crypto';
import { ChasmError, ErrorCode, type CompletionOutcome, type HttpAuthTarget, type HttpRequest, type HttpResponse, type HttpRoute, type NamespaceResolver } from '@chasm/core';
import { msToTimestamp } from '@chasm/matching';
import type { Logger } from 'pino';
import type { NexusConfig } from '../config.js';
import type { NexusDispatcher, NexusTaskResult } from '../dispatch/nexus-dispatcher.js';
import type { EndpointRegistry } from '../endpoints/endpoint-registry.js';
import type { CompletionStartInfo, OperationCompletionReceiver } from '../operation/completion-receiver.js';
import { temporalProto, type temporal } from '../proto.js';
import type { CallbackTokenSigner } from './callback-token.js';
import { contentHeaderOf, contentToPayload, httpHeadersOf, payloadToContent } from './content.js';
import { asCanceled, HANDLER_ERROR_STATUS, nexusToTemporalFailure, parseNexusFailure, temporalToNexusFailure, type NexusFailure } from './failure.js';
import { formatLinks, parseLinks } from './links.js';

const Payloads = temporalProto.temporal.api.common.v1.Payloads;
const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;
const RetryBehavior = temporalProto.temporal.api.enums.v1.NexusHandlerErrorRetryBehavior;

export const NEXUS_START_PATH = '/nexus/endpoints/:endpointId/services/:service/:operation';
export const NEXUS_CANCEL_PATH = '/nexus/endpoints/:endpointId/services/:service/:operation/cancel';
export const NEXUS_CALLBACK_PATH = '/namespaces/:namespace/nexus/callback';
/** The routes this package serves, as the plugin declares them. */
export const NEXUS_ROUTES = [`POST ${NEXUS_START_PATH}`, `POST ${NEXUS_CANCEL_PATH}`, `POST ${NEXUS_CALLBACK_PATH}`] as const;

/** The callback URL for `namespace` under a base URL (Temporal's callback endpoint template). */
export function callbackUrl(baseUrl: string, namespace: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/nexus/callback`;
}

/** Headers that describe the HTTP exchange, not the Nexus request: never forwarded as the Nexus header. */
const NOT_NEXUS_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
  'accept-encoding',
  'request-timeout',
  'nexus-callback-url',
]);

/** The Nexus header of a request: its headers lower-cased, less hop-by-hop, `content-*` and `nexus-callback-*` ones. */
export function nexusHeaderOf(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (NOT_NEXUS_HEADERS.has(key) || key.startsWith('content-') || key.startsWith('nexus-callback-')) continue;
    out[key] = v;
  }
  return out;
}

/** `Request-Timeout` / `Operation-Timeout` values: a number and a unit (ms, s, m). Undefined if malformed. */
export function parseDuration(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

const enc = new TextEncoder();

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, rawBody: enc.encode(JSON.stringify(body)), headers: { 'content-type': 'application/json', ...headers } };
}

/** A handler error response: the spec's status for the type, the failure as JSON, the retry header when explicit. */
export function handlerErrorResponse(type: string, failure: NexusFailure, retryable?: boolean): HttpResponse {
  return json(HANDLER_ERROR_STATUS[type] ?? 500, failure, retryable === undefined ? {} : { 'nexus-request-retryable': String(retryable) });
}

const handlerError = (type: string, message: string): HttpResponse => handlerErrorResponse(type, { message });

/** What the handler worker answered, as the Nexus HTTP response (Temporal's frontend nexus_handler.go). */
export function taskResultToHttp(r: NexusTaskResult): HttpResponse {
  switch (r.outcome) {
    case 'completed': {
      if (r.response.cancelOperation) return { status: 202 };
      const s = r.response.startOperation;
      if (s?.syncSuccess) {
        const content = payloadToContent(s.syncSuccess.payload);
        const link = formatLinks(s.syncSuccess.links);
        return {
          status: 200,
          rawBody: content.data,
          headers: { ...httpHeadersOf(content), 'nexus-operation-state': 'succeeded', ...(link ? { 'nexus-link': link } : {}) },
        };
      }
      if (s?.asyncSuccess) {
        const token = s.asyncSuccess.operationToken || s.asyncSuccess.operationId || '';
        const link = formatLinks(s.asyncSuccess.links);
        return json(201, { token, id: token, state: 'running' }, link ? { 'nexus-link': link } : {});
      }
      if (s?.failure) {
        const canceled = !!s.failure.canceledFailureInfo;
        return json(424, temporalToNexusFailure(s.failure), { 'nexus-operation-state': canceled ? 'canceled' : 'failed' });
      }
      if (s?.operationError) {
        const f = s.operationError.failure;
        return json(424, legacyFailure(f), { 'nexus-operation-state': s.operationError.operationState === 'canceled' ? 'canceled' : 'failed' });
      }
      return handlerError('INTERNAL', 'empty response from the handler');
    }
    case 'failed': {
      const info = r.failure?.nexusHandlerFailureInfo;
      const type = info?.type || r.error?.errorType || 'INTERNAL';
      const behavior = info?.retryBehavior ?? r.error?.retryBehavior ?? 0;
      const retryable =
        behavior === RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE ? true : behavior === RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE ? false : undefined;
      const failure = r.failure ? temporalToNexusFailure(r.failure) : legacyFailure(r.error?.failure);
      return handlerErrorResponse(type, failure, retryable);
    }
    case 'timeout':
      return handlerError('UPSTREAM_TIMEOUT', r.stage === 'no-poller' ? 'no worker polled the task queue in time' : 'the handler did not answer in time');
    case 'canceled':
      return handlerError('UNAVAILABLE', 'the server is stopping');
  }
}

/** A temporal.api.nexus.v1.Failure (details as JSON bytes) as the spec's JSON. */
function legacyFailure(f: temporal.api.nexus.v1.IFailure | null | undefined): NexusFailure {
  let details: unknown;
  if (f?.details?.length) {
    try {
      details = JSON.parse(new TextDecoder().decode(f.details));
    } catch {
      details = undefined;
    }
  }
  return { message: f?.message ?? '', ...(f?.metadata ? { metadata: { ...f.metadata } } : {}), ...(details !== undefined ? { details } : {}) };
}

export interface NexusRouteDeps {
  readonly endpoints: EndpointRegistry;
  readonly dispatcher: NexusDispatcher;
  readonly namespaces: NamespaceResolver;
  readonly signer: CallbackTokenSigner;
  /** The receivers of completions for operations, by archetype (the same path temporal://system callbacks take). */
  readonly receivers: readonly OperationCompletionReceiver[];
  readonly config: NexusConfig;
  readonly logger?: Logger;
}

/** The worker-target endpoint a request names, or the handler error response that refuses it. */
async function workerTarget(deps: NexusRouteDeps, req: HttpRequest) {
  const endpoint = await deps.endpoints.getById(req.params['endpointId'] ?? '');
  if (!endpoint) return { refused: handlerError('NOT_FOUND', 'nexus endpoint not found') };
  if (endpoint.target.kind !== 'worker') return { refused: handlerError('BAD_REQUEST', 'the endpoint has an external target: call its URL instead') };
  const timeoutHeader = req.headers['request-timeout'];
  const requested = timeoutHeader === undefined ? undefined : parseDuration(timeoutHeader);
  if (timeoutHeader !== undefined && requested === undefined) return { refused: handlerError('BAD_REQUEST', 'invalid request-timeout header') };
  return { endpoint, target: endpoint.target, timeoutMs: requested ?? deps.config.requestTimeoutMs };
}

/**
 * Who may call a worker-target endpoint over HTTP (when the server authorizes calls): Temporal's
 * DispatchByEndpoint, in the endpoint's target namespace. An unknown endpoint or an external
 * target is checked cluster-wide (only the system admin passes), so an unauthorized caller
 * learns nothing about which endpoints exist.
 */
async function dispatchAuthTarget(deps: NexusRouteDeps, req: HttpRequest): Promise<HttpAuthTarget> {
  const endpoint = await deps.endpoints.getById(req.params['endpointId'] ?? '');
  return { service: 'NexusService', method: 'DispatchByEndpoint', namespace: endpoint?.target.kind === 'worker' ? endpoint.target.namespace : '' };
}

/** Nexus StartOperation over HTTP for a worker-target endpoint: dispatched to a worker like an operation's invocation task. */
function startRoute(deps: NexusRouteDeps): HttpRoute {
  return {
    method: 'POST',
    path: NEXUS_START_PATH,
    raw: true,
    authTarget: (req) => dispatchAuthTarget(deps, req),
    async handle(req) {
      return guardedRoute(deps, async () => {
        const t = await workerTarget(deps, req);
        if (t.refused) return t.refused;
        const links = parseLinks(req.headers['nexus-link']);
        if (!links) return handlerError('BAD_REQUEST', 'invalid "nexus-link" header');
        const callbackHeader: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('nexus-callback-') && k !== 'nexus-callback-url') callbackHeader[k.slice('nexus-callback-'.length)] = v;
        const callback = req.query.get('callback') ?? req.headers['nexus-callback-url'] ?? '';
        // temporal:// callbacks are this server's own, handed to workers only by the invocation task.
        if (callback && !/^https?:\/\//i.test(callback)) return handlerError('BAD_REQUEST', 'the callback URL must be http or https');
        const now = Date.now();
        const r = await deps.dispatcher.dispatch({
          namespaceId: t.target.namespaceId,
          taskQueue: t.target.taskQueue,
          deadline: new Date(now + t.timeoutMs),
          signal: req.signal,
          request: {
            header: nexusHeaderOf(req.headers),
            scheduledTime: msToTimestamp(now),
            capabilities: { temporalFailureResponses: true },
            endpoint: t.endpoint.name,
            startOperation: {
              service: req.params['service'] ?? '',
              operation: req.params['operation'] ?? '',
              // The SDK handler needs one; a client that sent none gets a fresh one (as the Go client would have made).
              requestId: req.headers['nexus-request-id'] || randomUUID(),
              callback,
              callbackHeader,
              payload: contentToPayload({ header: contentHeaderOf(req.headers), data: req.rawBody ?? new Uint8Array() }),
              links,
            },
          },
        });
        return taskResultToHttp(r);
      });
    },
  };
}

/** Nexus CancelOperation over HTTP: the token in `nexus-operation-token` (or the `token` query parameter); 202 once the handler took it. */
function cancelRoute(deps: NexusRouteDeps): HttpRoute {
  return {
    method: 'POST',
    path: NEXUS_CANCEL_PATH,
    raw: true,
    authTarget: (req) => dispatchAuthTarget(deps, req),
    async handle(req) {
      return guardedRoute(deps, async () => {
        const t = await workerTarget(deps, req);
        if (t.refused) return t.refused;
        const token = req.headers['nexus-operation-token'] ?? req.query.get('token') ?? '';
        if (!token) return handlerError('BAD_REQUEST', 'missing operation token');
        const r = await deps.dispatcher.dispatch({
          namespaceId: t.target.namespaceId,
          taskQueue: t.target.taskQueue,
          deadline: new Date(Date.now() + t.timeoutMs),
          signal: req.signal,
          request: {
            header: nexusHeaderOf(req.headers),
            scheduledTime: msToTimestamp(Date.now()),
            capabilities: { temporalFailureResponses: true },
            endpoint: t.endpoint.name,
            cancelOperation: { service: req.params['service'] ?? '', operation: req.params['operation'] ?? '', operationToken: token, operationId: token },
          },
        });
        return taskResultToHttp(r);
      });
    },
  };
}

/** The completion a callback request carries, as the outcome the receivers take; or why it is malformed. */
function completionOf(req: HttpRequest): CompletionOutcome | string {
  const state = req.headers['nexus-operation-state'];
  const closeHeader = req.headers['nexus-operation-close-time'];
  const closeTime = closeHeader ? new Date(closeHeader) : new Date();
  if (Number.isNaN(closeTime.getTime())) return 'failed to parse operation close time header';
  const base = { closeTime, businessId: '', firstRunId: '', runId: '' };
  const body = req.rawBody ?? new Uint8Array();
  if (state === 'succeeded') {
    const payload = contentToPayload({ header: contentHeaderOf(req.headers), data: body });
    return { ...base, status: 'completed', result: Payloads.encode(Payloads.fromObject({ payloads: [payload] })).finish(), failure: null };
  }
  if (state === 'failed' || state === 'canceled') {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) return `invalid request content type: "${type}"`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return 'failed to decode Failure from request body';
    }
    const nf = parseNexusFailure(parsed);
    if (!nf) return 'failed to decode Failure from request body';
    const f = nexusToTemporalFailure(nf);
    const failure = state === 'canceled' ? asCanceled(f) : f;
    return { ...base, status: state, result: null, failure: FailureMsg.encode(FailureMsg.fromObject(failure)).finish() };
  }
  return `invalid request operation state: "${state ?? ''}"`;
}

/** The start information of a completion (used if it beats the start response); or why it is malformed. */
function startInfoOf(req: HttpRequest): CompletionStartInfo | string {
  const links = parseLinks(req.headers['nexus-link']);
  if (!links) return 'failed to decode links from request headers';
  const startHeader = req.headers['nexus-operation-start-time'];
  const startTime = startHeader ? new Date(startHeader) : undefined;
  if (startTime && Number.isNaN(startTime.getTime())) return 'failed to parse operation start time header';
  const token = req.headers['nexus-operation-token'];
  return { ...(token ? { operationToken: token } : {}), ...(startTime ? { startTime } : {}), links };
}

/**
 * The callback URL external handlers complete operations at (Temporal's
 * nexus_completion_http_handler.go). The `temporal-callback-token` must carry this server's
 * signature (401 otherwise) and name an execution of the URL's namespace (403 otherwise); the
 * completion then goes to the receiver of the token's archetype, which refuses an operation that
 * is no longer pending (404: a replay changes nothing).
 */
function callbackRoute(deps: NexusRouteDeps): HttpRoute {
  const byArchetype = new Map(deps.receivers.map((r) => [r.archetype, r]));
  return {
    method: 'POST',
    path: NEXUS_CALLBACK_PATH,
    raw: true,
    // The credential is the callback token this server signed and handed out with the operation
    // (checked below, 401 without it): the handler completing an operation holds no user token.
    authTarget: () => Promise.resolve('public' as const),
    async handle(req) {
      return guardedRoute(deps, async () => {
        const token = req.headers['temporal-callback-token'];
        if (!token) return handlerError('UNAUTHENTICATED', 'missing callback token');
        const target = await deps.signer.verify(token);
        if (!target) return handlerError('UNAUTHENTICATED', 'invalid callback token');
        let namespaceId: string;
        try {
          namespaceId = await deps.namespaces.idOf(req.params['namespace'] ?? '');
        } catch {
          return handlerError('NOT_FOUND', `namespace not found: ${req.params['namespace'] ?? ''}`);
        }
        if (namespaceId !== target.namespaceId) return handlerError('UNAUTHORIZED', 'the callback token belongs to another namespace');
        const receiver = byArchetype.get(target.archetype);
        if (!receiver) return handlerError('NOT_FOUND', 'operation not found');
        const outcome = completionOf(req);
        if (typeof outcome === 'string') return handlerError('BAD_REQUEST', outcome);
        const start = startInfoOf(req);
        if (typeof start === 'string') return handlerError('BAD_REQUEST', start);
        await receiver.receive(target, outcome, start);
        return { status: 200 };
      });
    },
  };
}

/** Errors thrown below a route as Nexus handler errors (the Nexus protocol has its own error body, not the runtime's). */
async function guardedRoute(deps: NexusRouteDeps, fn: () => Promise<HttpResponse>): Promise<HttpResponse> {
  try {
    return await fn();
  } catch (e) {
    if (ChasmError.is(e)) {
      const type: Partial<Record<ErrorCode, string>> = {
        [ErrorCode.NotFound]: 'NOT_FOUND',
        [ErrorCode.InvalidArgument]: 'BAD_REQUEST',
        [ErrorCode.FailedPrecondition]: 'BAD_REQUEST',
        [ErrorCode.ResourceExhausted]: 'RESOURCE_EXHAUSTED',
        [ErrorCode.Unavailable]: 'UNAVAILABLE',
        [ErrorCode.Unimplemented]: 'NOT_IMPLEMENTED',
        [ErrorCode.DeadlineExceeded]: 'UPSTREAM_TIMEOUT',
      };
      const t = type[e.code];
      if (t) return handlerError(t, e.message);
    }
    deps.logger?.error({ err: e }, 'nexus HTTP handler failed');
    return handlerError('INTERNAL', 'internal server error');
  }
}

export function nexusHttpRoutes(deps: NexusRouteDeps): HttpRoute[] {
  return [startRoute(deps), cancelRoute(deps), callbackRoute(deps)];
}
