/**
 * The closed set of error codes the framework and features raise. The server maps each code to
 * exactly one gRPC status (see server's `grpc-status.ts`); nothing else decides status codes.
 */
export const ErrorCode = {
  InvalidArgument: 'INVALID_ARGUMENT',
  NotFound: 'NOT_FOUND',
  AlreadyExists: 'ALREADY_EXISTS',
  FailedPrecondition: 'FAILED_PRECONDITION',
  ResourceExhausted: 'RESOURCE_EXHAUSTED',
  Unavailable: 'UNAVAILABLE',
  Unimplemented: 'UNIMPLEMENTED',
  Canceled: 'CANCELED',
  DeadlineExceeded: 'DEADLINE_EXCEEDED',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const MARKER = Symbol.for('chasm/ChasmError');

/**
 * Base class of every error that crosses a package boundary. `is()` uses a global symbol so
 * checks still work when two copies of this package are loaded.
 */
export class ChasmError extends Error {
  readonly [MARKER] = true;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra structured detail, e.g. the field name or the cause of a RESOURCE_EXHAUSTED. */
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
  static is(e: unknown): e is ChasmError {
    return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** A request field is missing or malformed. `field` names it, as users see it in the API. */
export class InvalidArgumentError extends ChasmError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(ErrorCode.InvalidArgument, message.includes(field) ? message : `${field}: ${message}`, {
      field,
    });
  }
}

export class NotFoundError extends ChasmError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.NotFound, message, details);
  }
}

export class FailedPreconditionError extends ChasmError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.FailedPrecondition, message, details);
  }
}

export class ResourceExhaustedError extends ChasmError {
  constructor(
    message: string,
    /** Mirrors temporal.api.enums.v1.ResourceExhaustedCause, e.g. 'CONCURRENT_LIMIT'. */
    readonly exhaustedCause: string,
    /** Mirrors temporal.api.enums.v1.ResourceExhaustedScope ('NAMESPACE' or 'SYSTEM'); absent = unspecified. */
    readonly scope?: 'NAMESPACE' | 'SYSTEM',
  ) {
    super(ErrorCode.ResourceExhausted, message, scope ? { cause: exhaustedCause, scope } : { cause: exhaustedCause });
  }
}

/**
 * Too many requests wait for one execution's lock: Temporal's ErrResourceExhaustedBusyWorkflow
 * (cause BUSY_WORKFLOW, scope NAMESPACE, "Workflow is busy."). SDKs back off and retry it.
 */
export class BusyExecutionError extends ResourceExhaustedError {
  constructor(readonly waiting: number) {
    super('Workflow is busy.', 'BUSY_WORKFLOW', 'NAMESPACE');
  }
}

/** A business id is taken by a running execution (or by a closed one under reject-duplicate). */
export class ExecutionAlreadyStartedError extends ChasmError {
  constructor(
    message: string,
    readonly currentRunId: string,
    readonly currentRequestId: string,
  ) {
    super(ErrorCode.AlreadyExists, message, { currentRunId, currentRequestId });
  }
}

/** A transition was applied from a state it does not start from. */
export class InvalidTransitionError extends ChasmError {
  constructor(
    readonly transition: string,
    readonly from: string,
  ) {
    super(ErrorCode.FailedPrecondition, `invalid transition ${transition} from state ${from}`, {
      transition,
      from,
    });
  }
}

/** An update carried a request id that this execution already applied. */
export class RequestIdAlreadyUsedError extends ChasmError {
  constructor(readonly requestId: string) {
    super(ErrorCode.AlreadyExists, `request id ${requestId} was already applied`, { requestId });
  }
}

/** Another writer changed the execution first (db_version mismatch). Retryable by reloading. */
export class ConcurrentUpdateError extends ChasmError {
  constructor(message = 'execution was modified concurrently') {
    super(ErrorCode.Unavailable, message);
  }
}

/** This node no longer owns the shard: its range id was superseded. It must never write again. */
export class ShardOwnershipLostError extends ChasmError {
  constructor(
    readonly shardId: number,
    readonly rangeId: number,
  ) {
    super(ErrorCode.Unavailable, `shard ${shardId} ownership lost (range id ${rangeId} superseded)`, {
      shardId,
      rangeId,
    });
  }
}

/** A side-effect task came back through its ref but its validator now says no. Drop it. */
export class TaskInvalidError extends ChasmError {
  constructor(message = 'task is no longer valid') {
    super(ErrorCode.NotFound, message);
  }
}

/** Task handlers throw this to ask for a retry after a given delay. */
export class RetryableTaskError extends ChasmError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(ErrorCode.Unavailable, message);
  }
}

/** The current-execution pointer moved while a start was being decided; re-read and retry. */
export class CurrentExecutionChangedError extends ChasmError {
  constructor(message = 'current execution changed concurrently') {
    super(ErrorCode.Unavailable, message);
  }
}

/**
 * The database is away right now: the connection was refused, reset or ended, Postgres is
 * shutting down or starting up, or no connection could be had in time (see
 * `isTransientDatabaseError`). Raised by the persistence layer in place of the driver's error, so
 * every layer above sees one closed code (UNAVAILABLE, which SDKs retry silently). The outcome of
 * a write that failed this way is unknown: it may have committed. The message is fixed and the
 * driver's reason is cut short, so the error carries no statement and none of its values.
 */
export class DatabaseUnavailableError extends ChasmError {
  constructor(
    /** The driver's message (e.g. `Connection terminated unexpectedly`), at most 200 chars. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.Unavailable, 'the database is unavailable; retry later', { reason: reason.slice(0, 200) }, options);
  }
}
