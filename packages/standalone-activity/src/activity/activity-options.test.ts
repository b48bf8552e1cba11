import { describe, expect, it } from 'vitest';
import { normalizeOptions, normalizeRetryPolicy, normalizeTimeouts, policyBackoffMs } from './activity-options.js';

const ids = { activityId: 'a', activityType: 't' };
const s = (n: number) => ({ seconds: n, nanos: 0 });

describe('start normalisation (reference B.2)', () => {
  it('clamps schedule-to-start and start-to-close to schedule-to-close, or defaults them to it', () => {
    expect(normalizeTimeouts({ scheduleToCloseMs: 10_000, scheduleToStartMs: 0, startToCloseMs: 0, heartbeatMs: 0 }, ids)).toEqual({
      scheduleToCloseMs: 10_000, scheduleToStartMs: 10_000, startToCloseMs: 10_000, heartbeatMs: 0,
    });
    expect(normalizeTimeouts({ scheduleToCloseMs: 10_000, scheduleToStartMs: 20_000, startToCloseMs: 5_000, heartbeatMs: 9_000 }, ids)).toEqual({
      scheduleToCloseMs: 10_000, scheduleToStartMs: 10_000, startToCloseMs: 5_000, heartbeatMs: 5_000,
    });
  });

  it('start-to-close alone leaves schedule-to-close unlimited', () => {
    expect(normalizeTimeouts({ scheduleToCloseMs: 0, scheduleToStartMs: 0, startToCloseMs: 3_000, heartbeatMs: 0 }, ids)).toEqual({
      scheduleToCloseMs: 0, scheduleToStartMs: 0, startToCloseMs: 3_000, heartbeatMs: 0,
    });
  });

  it('needs start-to-close or schedule-to-close', () => {
    expect(() => normalizeTimeouts({ scheduleToCloseMs: 0, scheduleToStartMs: 5, startToCloseMs: 0, heartbeatMs: 0 }, ids)).toThrow(
      /a valid StartToCloseTimeout or ScheduleToCloseTimeout must be set on the activity. ActivityId=a ActivityType=t/,
    );
  });

  it('rejects negative timeouts and caps huge ones at 100 years', () => {
    expect(() => normalizeOptions({ taskQueue: { name: 'q' }, startToCloseTimeout: s(-1) }, ids, 1000)).toThrow(/must not be negative/);
    const o = normalizeOptions({ taskQueue: { name: 'q' }, startToCloseTimeout: s(1e10) }, ids, 1000);
    expect(o.startToCloseMs).toBe(100 * 365 * 24 * 3600 * 1000);
  });

  it('fills retry policy defaults and validates it', () => {
    expect(normalizeRetryPolicy(undefined)).toEqual({ initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 100_000, maximumAttempts: 0, nonRetryableErrorTypes: [] });
    expect(normalizeRetryPolicy({ initialInterval: s(2) } as never).maximumIntervalMs).toBe(200_000);
    expect(() => normalizeRetryPolicy({ backoffCoefficient: 0.5 })).toThrow(/BackoffCoefficient/);
    expect(() => normalizeRetryPolicy({ initialInterval: s(10), maximumInterval: s(5) } as never)).toThrow(/MaximumInterval/);
    expect(() => normalizeRetryPolicy({ maximumAttempts: -1 })).toThrow(/MaximumAttempts/);
    expect(() => normalizeRetryPolicy({ nonRetryableErrorTypes: ['TemporalTimeout:NOPE'] })).toThrow(/invalid timeout type/);
    expect(normalizeRetryPolicy({ nonRetryableErrorTypes: ['TemporalTimeout:HEARTBEAT'] }).nonRetryableErrorTypes).toEqual(['TemporalTimeout:HEARTBEAT']);
  });

  it('requires a user task queue', () => {
    expect(() => normalizeOptions({ startToCloseTimeout: s(1) }, ids, 1000)).toThrow(/TaskQueue is not set/);
    expect(() => normalizeOptions({ taskQueue: { name: '/_sys/x' }, startToCloseTimeout: s(1) }, ids, 1000)).toThrow(/user-defined/);
  });

  it('backs off exponentially up to the maximum, without jitter', () => {
    const p = normalizeRetryPolicy({ initialInterval: s(1), maximumInterval: s(5) } as never);
    expect([1, 2, 3, 4, 5].map((n) => policyBackoffMs(p, n))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});
