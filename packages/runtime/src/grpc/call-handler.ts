import { status as Status, Metadata, type handleUnaryCall, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { ChasmError, InvalidArgumentError, type RpcCallContext } from '@chasm/core';
import type { Logger } from 'pino';
import type { LogRateLimiter } from '@chasm/core';
import type { RpcMetrics } from '../metrics/rpc-metrics.js';
import { AuthRefusal, type CallAuthorizer } from '../auth/call-authorizer.js';
import type { LimitMetrics } from '../metrics/limit-metrics.js';
import { classOfCall, classOfMethod, priorityOfCall, type RpcClass } from '../limits/rpc-class.js';
import type { Refusal, RpcAdmission } from '../limits/rpc-admission.js';
import { QuotaExceededError } from '../limits/quota-exceeded-error.js';
import { toGrpcStatus, type MappedError } from './grpc-status.js';
import type { RoutedMethod } from './handler-table.js';
import type { RpcTracer } from '../telemetry/rpc-tracer.js';
import { MalformedRequest, type ServedMethod } from './service-definition.js';

export interface CallHandlerDeps {
  readonly logger: Logger;
  readonly metrics: RpcMetrics;
  /** Aborted when the server stops, so long polls and waits end promptly. */
  readonly shutdown: AbortSignal;
  /**
   * Paces the UNAVAILABLE line, shared by all methods: during a database outage every call
   * fails, and a line (with a stack) per call buried the log (issue 15).
   */
  readonly unavailableLog: LogRateLimiter;
  /** Rate and concurrency limits, checked before a call runs (ADR 0022). */
  readonly admission: RpcAdmission;
  readonly limitMetrics: LimitMetrics;
  /** Paces the 'rpc refused' line: a flood past a quota is refused thousands of times a second. */
  readonly refusedLog: LogRateLimiter;
  /** The auth gate; absent when the config has no `auth:` (an open server). */
  readonly auth?: CallAuthorizer;
  /** A span per call; absent unless `telemetry.traces` is configured (ADR 0029). */
  readonly tracer?: RpcTracer;
}

/** How a call ended: the handler's response, or the status the caller gets. */
export type CallOutcome = { readonly ok: true; readonly response: object } | { readonly ok: false; readonly status: MappedError['status'] };

/**
 * The front door's interceptor chain, written out, for one call of one method whatever the
 * transport (gRPC here, the HTTP API through GrpcFrontDoor.dispatch): metrics, request logging,
 * UNIMPLEMENTED for a method no package serves, auth, admission (rate and concurrency limits),
 * and the single error mapping. Never rejects.
 */
export function invokeMethod(
  method: ServedMethod,
  route: RoutedMethod | undefined,
  deps: CallHandlerDeps,
  request: object,
  context: RpcCallContext,
  transport: 'grpc' | 'http' = 'grpc',
): Promise<CallOutcome> {
  if (!deps.tracer) return invokeTraced(method, route, deps, request, context);
  return deps.tracer.traceRpc(
    {
      service: method.service,
      method: method.method,
      transport: context.internal ? 'internal' : transport,
      namespace: namespaceOf(request),
      request,
      metadata: () => context.metadata,
    },
    () => invokeTraced(method, route, deps, request, context),
    (outcome) => (outcome.ok ? Status.OK : outcome.status.code),
  );
}

/** The chain itself, inside the call's span when tracing is on. */
async function invokeTraced(
  method: ServedMethod,
  route: RoutedMethod | undefined,
  deps: CallHandlerDeps,
  request: object,
  context: RpcCallContext,
): Promise<CallOutcome> {
  const name = `${method.serviceName}/${method.method}`;
  const namespace = namespaceOf(request);
  const record = deps.metrics.begin(method.serviceName, method.method);
  const startedAt = performance.now();
  const finish = (code: Status): void => {
    const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
    record(Status[code] ?? String(code));
    deps.logger.debug({ method: name, code: Status[code], durationMs, namespace }, 'rpc');
  };

  if (!route) {
    finish(Status.UNIMPLEMENTED);
    return { ok: false, status: { code: Status.UNIMPLEMENTED, details: `${name} is not implemented by any installed package`, metadata: new Metadata() } };
  }
  let admitted: RpcClass | undefined;
  try {
    // Auth runs first, for gRPC and HTTP alike: a refused caller learns nothing about the
    // request, not even that it was malformed, and spends none of the namespace's quota.
    if (deps.auth) {
      await deps.auth.check(method.serviceName, method.method, context.metadata['authorization'], request instanceof MalformedRequest ? null : request);
    }
    const cls = classOfCall(method.method, classOfMethod(method.method), request);
    const refusal = deps.admission.admit(cls, priorityOfCall(method.method, request), namespace);
    if (refusal) {
      deps.limitMetrics.refusedCall(method.method, namespace, refusal.cause, refusal.scope);
      const suppressed = deps.refusedLog.take();
      if (suppressed !== undefined) {
        deps.logger.warn({ method: name, namespace, rpcClass: cls, cause: refusal.cause, scope: refusal.scope, suppressed }, 'rpc refused');
      }
      finish(Status.RESOURCE_EXHAUSTED);
      return { ok: false, status: refusalStatus(refusal) };
    }
    admitted = cls;
    if (request instanceof MalformedRequest) {
      throw new InvalidArgumentError('request', `request is not a valid ${name} request: ${request.reason}`);
    }
    const response = await route.handler(request, context);
    finish(Status.OK);
    return { ok: true, response: (response ?? {}) as object };
  } catch (error) {
    if (error instanceof AuthRefusal) {
      finish(error.code);
      return { ok: false, status: { code: error.code, details: error.message, metadata: new Metadata() } };
    }
    const mapped = toGrpcStatus(error);
    if (mapped.internal) {
      // The reference is also in the status the client got, so a report can be matched to
      // this line; the error is logged through the scrubbing serializer (no SQL values).
      deps.logger.error(
        { method: name, ref: mapped.internal.ref, namespace, execution: executionOf(request), err: mapped.internal.error },
        'rpc failed with an internal error',
      );
    } else if (mapped.status.code === Status.UNAVAILABLE) {
      // One short line (what the client was told, no stack) per interval, with how many
      // calls were left out since the last one.
      const suppressed = deps.unavailableLog.take();
      if (suppressed !== undefined) {
        // The driver's reason (DatabaseUnavailableError keeps it), else the error's message.
        const reason = ChasmError.is(error) ? error.details['reason'] : undefined;
        const cause = typeof reason === 'string' ? reason.slice(0, 200) : error instanceof Error ? error.message.slice(0, 200) : undefined;
        deps.logger.warn({ method: name, reason: mapped.status.details.slice(0, 200), cause, suppressed }, 'rpc unavailable');
      }
    }
    finish(mapped.status.code);
    return { ok: false, status: mapped.status };
  } finally {
    if (admitted !== undefined) deps.admission.release(admitted);
  }
}

/**
 * Adapts one routed method to grpc-js: the call context (deadline, cancellation, metadata)
 * around `invokeMethod`.
 */
export function unaryHandler(
  method: ServedMethod,
  route: RoutedMethod | undefined,
  deps: CallHandlerDeps,
): handleUnaryCall<object, object> {
  const name = `${method.serviceName}/${method.method}`;
  const live = signalledCalls(deps.shutdown);
  return (call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) => {
    // The signal and the metadata map are built only if the handler asks for them: most calls
    // never do (starts, completions), and a bare AbortController costs ~10 µs on Node 20. The
    // signal is one controller aborted by the client's cancel or the server's shutdown, not
    // AbortSignal.any of the two: that was ~100 µs per poll (issue 16, ADR 0057).
    let cancelled: AbortController | undefined;
    let cancelReason: Error | undefined;
    const onCancel = (): void => {
      cancelReason = new Error(`${name} cancelled by the client`);
      cancelled?.abort(cancelReason);
    };
    call.once('cancelled', onCancel);
    let metadata: Record<string, string> | undefined;
    const context: RpcCallContext = {
      get signal() {
        if (cancelled === undefined) {
          cancelled = new AbortController();
          // Asked for after the client went away or the server began to stop: already aborted.
          if (cancelReason !== undefined) cancelled.abort(cancelReason);
          else if (deps.shutdown.aborted) cancelled.abort(deps.shutdown.reason);
          else live.add(cancelled);
        }
        return cancelled.signal;
      },
      deadline: deadlineOf(call.getDeadline()),
      get metadata() {
        return (metadata ??= metadataOf(call.metadata));
      },
    };
    invokeMethod(method, route, deps, call.request, context)
      .then((outcome) => (outcome.ok ? callback(null, outcome.response) : callback(outcome.status)))
      .finally(() => {
        call.removeListener('cancelled', onCancel);
        if (cancelled !== undefined) live.delete(cancelled);
      })
      .catch((e: unknown) => deps.logger.error({ method: name, err: e }, 'rpc bookkeeping failed'));
  };
}

/** Per shutdown signal (one per server), the controllers of calls in flight that handed out a signal. */
const signalled = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * The calls in flight whose handler took the call signal: the shutdown aborts them all through
 * one listener (a listener per call would make removal linear and trip the max-listeners warning).
 */
function signalledCalls(shutdown: AbortSignal): Set<AbortController> {
  let calls = signalled.get(shutdown);
  if (calls === undefined) {
    const set = new Set<AbortController>();
    shutdown.addEventListener(
      'abort',
      () => {
        for (const c of set) c.abort(shutdown.reason);
        set.clear();
      },
      { once: true },
    );
    signalled.set(shutdown, (calls = set));
  }
  return calls;
}

/** Each refusal's status details, encoded once: a flood is refused on every call. */
const refusalDetails = new WeakMap<Refusal, { details: string; bin: Buffer | undefined }>();

/** The status of a refused call, through the single error mapping (a fresh Metadata per call). */
function refusalStatus(refusal: Refusal): MappedError['status'] {
  let cached = refusalDetails.get(refusal);
  if (!cached) {
    const mapped = toGrpcStatus(new QuotaExceededError(refusal.message, refusal.cause, refusal.scope));
    const bin = mapped.status.metadata.get('grpc-status-details-bin')[0];
    cached = { details: mapped.status.details, bin: bin instanceof Buffer ? bin : undefined };
    refusalDetails.set(refusal, cached);
  }
  const metadata = new Metadata();
  if (cached.bin) metadata.set('grpc-status-details-bin', cached.bin);
  return { code: Status.RESOURCE_EXHAUSTED, details: cached.details, metadata };
}

function deadlineOf(deadline: Date | number): Date | undefined {
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}

function metadataOf(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata.getMap())) {
    out[k.toLowerCase()] = typeof v === 'string' ? v : v.toString('base64');
  }
  return out;
}

/**
 * The execution a request addresses, for error lines: its id fields only (workflow, activity,
 * schedule or operation id, and the run id), never the rest of the request.
 */
function executionOf(request: unknown): string | undefined {
  const r = request as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) return undefined;
  const nested = (r['workflowExecution'] ?? r['execution']) as Record<string, unknown> | null | undefined;
  const id = [r['workflowId'], r['activityId'], r['scheduleId'], r['operationId'], nested?.['workflowId']].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  if (id === undefined) return undefined;
  const runId = [r['runId'], nested?.['runId']].find((v): v is string => typeof v === 'string' && v !== '');
  return (runId === undefined ? id : `${id}/${runId}`).slice(0, 300);
}

function namespaceOf(request: unknown): string | undefined {
  const ns = (request as { namespace?: unknown } | null)?.namespace;
  return typeof ns === 'string' && ns !== '' ? ns : undefined;
}
