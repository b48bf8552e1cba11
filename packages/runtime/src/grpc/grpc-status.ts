import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { ChasmError, ErrorCode, isTransientDatabaseError } from '@chasm/core';
import { randomUUID } from 'node:crypto';
import { encodeStatusDetails, type StatusDetail } from './status-details.js';

/**
 * The one table from ChasmError codes to gRPC status codes. Nothing else in the server picks
 * status codes. UNAVAILABLE is reserved for real transient conditions: SDKs retry it silently.
 */
export const GRPC_STATUS: Readonly<Record<ErrorCode, Status>> = {
  [ErrorCode.InvalidArgument]: Status.INVALID_ARGUMENT,
  [ErrorCode.NotFound]: Status.NOT_FOUND,
  [ErrorCode.AlreadyExists]: Status.ALREADY_EXISTS,
  [ErrorCode.FailedPrecondition]: Status.FAILED_PRECONDITION,
  [ErrorCode.ResourceExhausted]: Status.RESOURCE_EXHAUSTED,
  [ErrorCode.Unavailable]: Status.UNAVAILABLE,
  [ErrorCode.Unimplemented]: Status.UNIMPLEMENTED,
  [ErrorCode.Canceled]: Status.CANCELLED,
  [ErrorCode.DeadlineExceeded]: Status.DEADLINE_EXCEEDED,
  [ErrorCode.Internal]: Status.INTERNAL,
};

/** The status a handler failure becomes, plus what (if anything) must be logged for operators. */
export interface MappedError {
  readonly status: Partial<StatusObject> & { code: Status; details: string; metadata: Metadata };
  /** Set for failures that are the server's fault: log with the stack, under this reference. */
  readonly internal?: { readonly ref: string; readonly error: unknown };
}

const ERRORDETAILS = 'temporal.api.errordetails.v1.';

/**
 * Maps anything a handler threw to a gRPC status. ChasmErrors keep their message (it was written
 * for the caller); anything else is a bug, so the caller gets a generic INTERNAL with a reference
 * and the stack goes to the log. Never throws.
 */
export function toGrpcStatus(error: unknown): MappedError {
  const metadata = new Metadata();
  if (!ChasmError.is(error) && isTransientDatabaseError(error)) {
    // The database is away (stopped, restarting, unreachable): callers retry UNAVAILABLE silently.
    return { status: { code: Status.UNAVAILABLE, details: 'the database is unavailable; retry later', metadata } };
  }
  if (!ChasmError.is(error)) {
    const ref = randomUUID().slice(0, 8);
    return {
      status: { code: Status.INTERNAL, details: `internal server error (ref ${ref})`, metadata },
      internal: { ref, error },
    };
  }
  const code = GRPC_STATUS[error.code] ?? Status.INTERNAL;
  const detail = statusDetailOf(error);
  if (detail) {
    try {
      metadata.set('grpc-status-details-bin', encodeStatusDetails(code, error.message, detail));
    } catch (e) {
      // A malformed detail must not turn a precise status into a crash; send the status alone.
      const ref = randomUUID().slice(0, 8);
      return { status: { code, details: error.message, metadata }, internal: { ref, error: e } };
    }
  }
  const mapped: MappedError = { status: { code, details: error.message, metadata } };
  return error.code === ErrorCode.Internal ? { ...mapped, internal: { ref: randomUUID().slice(0, 8), error } } : mapped;
}

/**
 * Temporal's typed error details for a ChasmError. A feature can choose its own detail by putting
 * `statusDetail: { type, value }` in the error's `details` (e.g. an
 * ActivityExecutionAlreadyStartedFailure); otherwise it is derived from the code and fields.
 * Fields are read structurally (not with instanceof) so duplicate package copies still work.
 */
export function statusDetailOf(error: ChasmError): StatusDetail | undefined {
  const d = error.details;
  const explicit = d['statusDetail'];
  if (isStatusDetail(explicit)) return explicit;
  switch (error.code) {
    case ErrorCode.AlreadyExists:
      if (typeof d['currentRunId'] === 'string') {
        return {
          type: `${ERRORDETAILS}WorkflowExecutionAlreadyStartedFailure`,
          value: { runId: d['currentRunId'], startRequestId: String(d['currentRequestId'] ?? '') },
        };
      }
      return undefined;
    case ErrorCode.ResourceExhausted:
      return {
        type: `${ERRORDETAILS}ResourceExhaustedFailure`,
        value: { cause: resourceExhaustedCause(d['cause']), scope: resourceExhaustedScope(d['scope']) },
      };
    case ErrorCode.NotFound:
      if (typeof d['namespace'] === 'string') {
        return { type: `${ERRORDETAILS}NamespaceNotFoundFailure`, value: { namespace: d['namespace'] } };
      }
      return { type: `${ERRORDETAILS}NotFoundFailure`, value: { currentCluster: 'active', activeCluster: 'active' } };
    default:
      return undefined;
  }
}

const CAUSES = new Set([
  'RPS_LIMIT',
  'CONCURRENT_LIMIT',
  'SYSTEM_OVERLOADED',
  'PERSISTENCE_LIMIT',
  'BUSY_WORKFLOW',
  'APS_LIMIT',
  'PERSISTENCE_STORAGE_LIMIT',
  'CIRCUIT_BREAKER_OPEN',
  'OPS_LIMIT',
  'WORKER_DEPLOYMENT_LIMITS',
]);

/** 'CONCURRENT_LIMIT' or 'RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT' -> the enum value name. */
function resourceExhaustedCause(cause: unknown): string {
  const name = typeof cause === 'string' ? cause.replace(/^RESOURCE_EXHAUSTED_CAUSE_/, '') : '';
  return `RESOURCE_EXHAUSTED_CAUSE_${CAUSES.has(name) ? name : 'UNSPECIFIED'}`;
}

/** 'NAMESPACE' or 'SYSTEM' (or the full enum name) -> the enum value name; anything else is unspecified. */
function resourceExhaustedScope(scope: unknown): string {
  const name = typeof scope === 'string' ? scope.replace(/^RESOURCE_EXHAUSTED_SCOPE_/, '') : '';
  return `RESOURCE_EXHAUSTED_SCOPE_${name === 'NAMESPACE' || name === 'SYSTEM' ? name : 'UNSPECIFIED'}`;
}

function isStatusDetail(v: unknown): v is StatusDetail {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as StatusDetail).type === 'string' &&
    typeof (v as StatusDetail).value === 'object'
  );
}
