import {
  ChasmError,
  ErrorCode,
  InvalidArgumentError,
  NotFoundError,
  type CallbackDeliverer,
  type CompletionCallback,
  type CompletionOutcome,
} from '@chasm/core';
import type { NexusTaskResult } from '../dispatch/nexus-dispatcher.js';
import { temporalProto, type temporal } from '../proto.js';
import { contentHeaderOf, contentToPayload, httpHeadersOf, payloadToContent } from './content.js';
import { asCanceled, handlerErrorTypeOfStatus, nexusToTemporalFailure, parseNexusFailure, temporalToNexusFailure } from './failure.js';
import { formatLinks, parseLinks } from './links.js';

const Payloads = temporalProto.temporal.api.common.v1.Payloads;
const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;
const RetryBehavior = temporalProto.temporal.api.enums.v1.NexusHandlerErrorRetryBehavior;
type Failure = temporal.api.failure.v1.IFailure;

export interface HttpDispatchRequest {
  /** The endpoint's URL: the prefix `/<service>/<operation>` goes under. */
  readonly url: string;
  /** A start or cancel request, as the worker dispatcher takes it. */
  readonly request: temporal.api.nexus.v1.IRequest;
  readonly deadline: Date;
  readonly signal?: AbortSignal;
}

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}

function handlerFailure(type: string, message: string, retryable?: boolean): Failure {
  return {
    message,
    nexusHandlerFailureInfo: {
      type,
      retryBehavior:
        retryable === undefined
          ? RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED
          : retryable
            ? RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE
            : RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE,
    },
  };
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * The caller side of the Nexus HTTP API, for external endpoint targets (reference C.3, "external
 * targets: HTTP POST to the endpoint URL"). Takes the request the worker dispatcher takes and
 * answers what it answers, so the invocation tasks classify both alike: a handler's HTTP answer
 * becomes a start/cancel response or a handler error; a request that runs out of time is a
 * timeout; a refused connection is UNAVAILABLE (retried, and counted against the circuit).
 */
export class HttpNexusClient {
  constructor(private readonly fetchFn: typeof fetch = fetch) {}

  async dispatch(req: HttpDispatchRequest): Promise<NexusTaskResult> {
    const base = req.url.replace(/\/+$/, '');
    const r = req.request;
    const headers: Record<string, string> = { ...(r.header ?? {}) };
    const timeoutMs = Math.max(0, req.deadline.getTime() - Date.now());
    headers['request-timeout'] = `${timeoutMs}ms`;
    let url: string;
    let body: Uint8Array | undefined;
    if (r.startOperation) {
      const s = r.startOperation;
      url = `${base}/${encodeURIComponent(s.service ?? '')}/${encodeURIComponent(s.operation ?? '')}`;
      if (s.callback) url += `?callback=${encodeURIComponent(s.callback)}`;
      if (s.requestId) headers['nexus-request-id'] = s.requestId;
      for (const [k, v] of Object.entries(s.callbackHeader ?? {})) headers[`nexus-callback-${k.toLowerCase()}`] = v;
      const link = formatLinks(s.links);
      if (link) headers['nexus-link'] = link;
      const content = payloadToContent(s.payload);
      Object.assign(headers, httpHeadersOf(content));
      body = content.data;
    } else if (r.cancelOperation) {
      const c = r.cancelOperation;
      url = `${base}/${encodeURIComponent(c.service ?? '')}/${encodeURIComponent(c.operation ?? '')}/cancel`;
      headers['nexus-operation-token'] = c.operationToken || c.operationId || '';
    } else {
      throw new InvalidArgumentError('request', 'neither a start nor a cancel request');
    }
    const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    let bytes: Uint8Array;
    try {
      res = await this.fetchFn(url, { method: 'POST', headers, ...(body ? { body } : {}), signal });
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (req.signal?.aborted) return { outcome: 'canceled' };
      if (timeout.aborted) return { outcome: 'timeout', stage: 'no-response' };
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { outcome: 'failed', failure: handlerFailure('UNAVAILABLE', `request to the Nexus endpoint failed: ${cause ?? (e as Error).message}`, true), identity: base };
    }
    return this.#classify(res, headersOf(res), bytes, !!r.cancelOperation, base);
  }

  #classify(res: Response, h: Record<string, string>, bytes: Uint8Array, cancel: boolean, identity: string): NexusTaskResult {
    if (cancel && res.status === 202) return { outcome: 'completed', response: { cancelOperation: {} }, identity };
    if (!cancel && res.status === 200) {
      const payload = contentToPayload({ header: contentHeaderOf(h), data: bytes });
      return { outcome: 'completed', response: { startOperation: { syncSuccess: { payload, links: parseLinks(h['nexus-link']) ?? [] } } }, identity };
    }
    if (!cancel && res.status === 201) {
      const info = parseJson(bytes) as { token?: unknown; id?: unknown } | undefined;
      const token = typeof info?.token === 'string' ? info.token : typeof info?.id === 'string' ? info.id : '';
      if (!token) return { outcome: 'failed', failure: handlerFailure('INTERNAL', 'invalid operation info in the start response', false), identity };
      return { outcome: 'completed', response: { startOperation: { asyncSuccess: { operationToken: token, links: parseLinks(h['nexus-link']) ?? [] } } }, identity };
    }
    const nf = parseNexusFailure(parseJson(bytes));
    if (!cancel && res.status === 424) {
      const details = nf?.details as { state?: unknown } | undefined;
      const state = h['nexus-operation-state'] ?? (typeof details?.state === 'string' ? details.state : 'failed');
      const f = nf ? nexusToTemporalFailure(nf) : { message: `operation ${state}` };
      return { outcome: 'completed', response: { startOperation: { failure: state === 'canceled' ? asCanceled(f) : f } }, identity };
    }
    const retryHeader = h['nexus-request-retryable'];
    const retryable = retryHeader === 'true' ? true : retryHeader === 'false' ? false : undefined;
    const inner = nf ? nexusToTemporalFailure(nf) : undefined;
    if (inner?.nexusHandlerFailureInfo) {
      if (retryable !== undefined && !inner.nexusHandlerFailureInfo.retryBehavior) return { outcome: 'failed', failure: { ...inner, nexusHandlerFailureInfo: handlerFailure(inner.nexusHandlerFailureInfo.type ?? 'INTERNAL', '', retryable).nexusHandlerFailureInfo! }, identity };
      return { outcome: 'failed', failure: inner, identity };
    }
    const type = handlerErrorTypeOfStatus(res.status);
    return { outcome: 'failed', failure: { ...handlerFailure(type, inner?.message || `${res.status} ${res.statusText}`, retryable), ...(inner ? { cause: inner } : {}) }, identity };
  }
}

/** HTTP statuses of a completion the caller will never take (the delivery stops); others are retried. */
const PERMANENT = new Set([400, 401, 403, 404, 405, 409, 413, 415, 501]);

/**
 * Delivers completion callbacks with http(s) URLs (what a foreign Nexus caller attaches to the
 * workflow a handler starts) as a Nexus completion: POST to the URL with the callback's headers,
 * `nexus-operation-state`, the close time, and the result (the first payload, as content) or the
 * failure as JSON (reference C.7, "any other URL").
 */
export function httpCallbackDeliverer(fetchFn: typeof fetch = fetch): CallbackDeliverer {
  return {
    schemes: ['http:', 'https:'],
    async deliver(callback: CompletionCallback, outcome: CompletionOutcome, signal: AbortSignal) {
      const headers: Record<string, string> = { ...callback.header };
      headers['nexus-operation-close-time'] = outcome.closeTime.toISOString();
      let body: Uint8Array;
      if (outcome.status === 'completed') {
        const payload = outcome.result ? (Payloads.decode(outcome.result).payloads[0] ?? null) : null;
        const content = payloadToContent(payload);
        Object.assign(headers, httpHeadersOf(content));
        headers['nexus-operation-state'] = 'succeeded';
        body = content.data;
      } else {
        const failure: Failure = outcome.failure ? FailureMsg.toObject(FailureMsg.decode(outcome.failure)) : { message: `operation ${outcome.status}` };
        headers['nexus-operation-state'] = outcome.status === 'canceled' ? 'canceled' : 'failed';
        headers['content-type'] = 'application/json';
        body = new TextEncoder().encode(JSON.stringify(temporalToNexusFailure(failure)));
      }
      let res: Response;
      try {
        res = await fetchFn(callback.url, { method: 'POST', headers, body, signal });
        await res.arrayBuffer();
      } catch (e) {
        throw new ChasmError(ErrorCode.Unavailable, `completion callback request failed: ${(e as Error).message}`);
      }
      if (res.ok) return;
      const message = `completion callback refused: ${res.status} ${res.statusText}`;
      const retry = res.headers.get('nexus-request-retryable');
      if (retry === 'false' || (retry !== 'true' && PERMANENT.has(res.status))) {
        throw res.status === 404 ? new NotFoundError(message) : new InvalidArgumentError('callback', message);
      }
      throw new ChasmError(ErrorCode.Unavailable, message);
    },
  };
}
