import { ChasmError, ErrorCode } from '@chasm/core';

export type ExhaustedCause = 'RPS_LIMIT' | 'CONCURRENT_LIMIT';
export type ExhaustedScope = 'NAMESPACE' | 'SYSTEM';

/**
 * A call the front door refused before running it. The status carries a
 * ResourceExhaustedFailure with this cause and scope, which SDKs read to back off (the TS client
 * and Core retry RESOURCE_EXHAUSTED with a longer backoff).
 */
export class QuotaExceededError extends ChasmError {
  constructor(
    message: string,
    readonly exhaustedCause: ExhaustedCause,
    readonly scope: ExhaustedScope,
  ) {
    super(ErrorCode.ResourceExhausted, message, { cause: exhaustedCause, scope });
  }
}
