import { msToDuration } from './time.js';
import type { temporal } from './temporal-proto.js';

/** A retry policy as components keep it: intervals in milliseconds, defaults already filled. */
export interface RetryPolicyMs {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

/** A kept retry policy as the API shows it (Describe, history events, poll responses). */
export function retryPolicyToProto(r: RetryPolicyMs): temporal.api.common.v1.IRetryPolicy {
  return {
    initialInterval: msToDuration(r.initialIntervalMs),
    backoffCoefficient: r.backoffCoefficient,
    maximumInterval: msToDuration(r.maximumIntervalMs),
    maximumAttempts: r.maximumAttempts,
    nonRetryableErrorTypes: r.nonRetryableErrorTypes,
  };
}
