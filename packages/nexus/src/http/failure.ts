import { temporalProto, type temporal } from '../proto.js';

const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;
const RetryBehavior = temporalProto.temporal.api.enums.v1.NexusHandlerErrorRetryBehavior;
type Failure = temporal.api.failure.v1.IFailure;

/** The Nexus HTTP spec's Failure object. */
export interface NexusFailure {
  message?: string;
  stackTrace?: string;
  metadata?: Record<string, string>;
  details?: unknown;
  cause?: NexusFailure;
}

/** The metadata type of a Nexus failure that carries a whole Temporal failure in `details` (Temporal's convention). */
export const TEMPORAL_FAILURE_TYPE = 'temporal.api.failure.v1.Failure';

/** Handler error types and their HTTP statuses (the spec's predefined handler errors). */
export const HANDLER_ERROR_STATUS: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  UNAUTHORIZED: 403,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 520,
};

/** The handler error type an HTTP status stands for, when the body does not say. */
export function handlerErrorTypeOfStatus(status: number): string {
  for (const [type, s] of Object.entries(HANDLER_ERROR_STATUS)) if (s === status) return type;
  // Any other 4xx is the caller's fault; anything else (5xx, or a status the protocol does not use) the handler's.
  return status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
}

/**
 * A Temporal failure as a Nexus failure, the way Temporal's frontend writes it: message and stack
 * trace on top, the rest of the failure (proto JSON field names) in `details`.
 */
export function temporalToNexusFailure(f: Failure): NexusFailure {
  const rest = FailureMsg.toObject(FailureMsg.fromObject({ ...f, message: '', stackTrace: '' }), { bytes: String, longs: String, enums: String });
  return {
    message: f.message ?? '',
    ...(f.stackTrace ? { stackTrace: f.stackTrace } : {}),
    metadata: { type: TEMPORAL_FAILURE_TYPE },
    details: rest,
  };
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A parsed JSON body as a Nexus failure; undefined when it is not one. */
export function parseNexusFailure(body: unknown): NexusFailure | undefined {
  const o = asObject(body);
  if (!o) return undefined;
  const metadata = asObject(o['metadata']);
  return {
    message: typeof o['message'] === 'string' ? o['message'] : '',
    ...(typeof o['stackTrace'] === 'string' ? { stackTrace: o['stackTrace'] } : {}),
    ...(metadata ? { metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])) } : {}),
    ...(o['details'] !== undefined ? { details: o['details'] } : {}),
    ...(o['cause'] !== undefined ? { cause: parseNexusFailure(o['cause']) ?? { message: '' } } : {}),
  };
}

/**
 * A Nexus failure as a Temporal failure (Temporal's NexusFailureToTemporalFailure): one that
 * carries a Temporal failure is unwrapped; a HandlerError becomes NexusHandlerFailureInfo, an
 * OperationError its cause; anything else an application failure keeping the Nexus failure.
 */
export function nexusToTemporalFailure(nf: NexusFailure): Failure {
  const type = nf.metadata?.['type'];
  const details = asObject(nf.details);
  if (type === TEMPORAL_FAILURE_TYPE && details) {
    try {
      return FailureMsg.toObject(FailureMsg.fromObject({ ...details, message: nf.message ?? '', stackTrace: nf.stackTrace ?? '' })) as Failure;
    } catch {
      // not a Temporal failure after all: kept as an application failure below
    }
  }
  const cause = nf.cause ? nexusToTemporalFailure(nf.cause) : undefined;
  if (type === 'nexus.HandlerError' && details) {
    const override = details['retryableOverride'];
    return {
      message: nf.message ?? '',
      nexusHandlerFailureInfo: {
        type: typeof details['type'] === 'string' ? details['type'] : 'INTERNAL',
        retryBehavior:
          override === true
            ? RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE
            : override === false
              ? RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE
              : RetryBehavior.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED,
      },
      ...(cause ? { cause } : {}),
    };
  }
  if (type === 'nexus.OperationError' && cause) return cause;
  return {
    message: nf.message ?? '',
    ...(nf.stackTrace ? { stackTrace: nf.stackTrace } : {}),
    applicationFailureInfo: {
      type: 'NexusFailure',
      ...(nf.details !== undefined || nf.metadata
        ? {
            details: {
              payloads: [
                {
                  metadata: { encoding: new TextEncoder().encode('json/plain') },
                  data: new TextEncoder().encode(JSON.stringify({ metadata: nf.metadata ?? {}, details: nf.details ?? null })),
                },
              ],
            },
          }
        : {}),
    },
    ...(cause ? { cause } : {}),
  };
}

/** The failure of an operation that ended `canceled`: it carries CanceledFailureInfo, whatever the handler sent. */
export function asCanceled(f: Failure): Failure {
  return f.canceledFailureInfo ? f : { message: f.message || 'operation canceled', canceledFailureInfo: {}, ...(f.cause ? { cause: f.cause } : {}) };
}
