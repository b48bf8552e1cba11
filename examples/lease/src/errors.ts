import { ChasmError, ErrorCode } from '@chasm/core';

/** The lease is held by another holder (HTTP 409, gRPC ALREADY_EXISTS). */
export class LeaseHeldError extends ChasmError {
  constructor(
    readonly lease: string,
    readonly holder: string,
    message: string,
  ) {
    super(ErrorCode.AlreadyExists, message, { lease, holder });
  }
}
