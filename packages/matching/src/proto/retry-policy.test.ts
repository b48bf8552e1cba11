import { describe, expect, it } from 'vitest';
import { retryPolicyToProto } from './retry-policy.js';
import { durationToMs } from './time.js';

describe('retryPolicyToProto', () => {
  it('writes the intervals as Durations and keeps the rest', () => {
    const p = retryPolicyToProto({ initialIntervalMs: 1500, backoffCoefficient: 2, maximumIntervalMs: 150_000, maximumAttempts: 0, nonRetryableErrorTypes: ['Bad'] });
    expect(durationToMs(p.initialInterval, 'initial_interval')).toBe(1500);
    expect(durationToMs(p.maximumInterval, 'maximum_interval')).toBe(150_000);
    expect(p).toMatchObject({ backoffCoefficient: 2, maximumAttempts: 0, nonRetryableErrorTypes: ['Bad'] });
  });
});
