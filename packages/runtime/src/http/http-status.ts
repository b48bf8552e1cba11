import { ChasmError, ErrorCode } from '@chasm/core';

/**
 * ChasmError codes to HTTP statuses, as grpc-gateway (and so Temporal's HTTP API) maps the
 * matching gRPC codes: FAILED_PRECONDITION is 400, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.AlreadyExists]: 409,
  [ErrorCode.FailedPrecondition]: 400,
  [ErrorCode.ResourceExhausted]: 429,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Unimplemented]: 501,
  [ErrorCode.Canceled]: 499,
  [ErrorCode.DeadlineExceeded]: 504,
  [ErrorCode.Internal]: 500,
};

/** The HTTP status and JSON error body for anything a route handler threw; undefined `code` = a bug. */
export function toHttpError(error: unknown): { status: number; body: { code: string; message: string } } | undefined {
  if (!ChasmError.is(error) || error.code === ErrorCode.Internal) return undefined;
  return { status: HTTP_STATUS[error.code] ?? 500, body: { code: error.code, message: error.message } };
}
