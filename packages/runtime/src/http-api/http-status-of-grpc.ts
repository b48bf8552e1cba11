import { status as Status } from '@grpc/grpc-js';

/**
 * gRPC status code to HTTP status, as grpc-gateway's HTTPStatusFromCode (and so Temporal's HTTP
 * API) maps them. Note FAILED_PRECONDITION is 400, not 412.
 */
const HTTP_STATUS_OF_GRPC: Readonly<Record<number, number>> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.UNAUTHENTICATED]: 401,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
};

export function httpStatusOfGrpc(code: number): number {
  return HTTP_STATUS_OF_GRPC[code] ?? 500;
}
