import { describe, expect, it } from 'vitest';
import { LogRateLimiter } from './log-rate-limiter.js';

describe('LogRateLimiter', () => {
  it('lets one line through per interval and counts the ones it held back', () => {
    let now = 1_000;
    const limiter = new LogRateLimiter(5_000, () => now);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBeUndefined();
    now += 4_999;
    expect(limiter.take()).toBeUndefined();
    now += 1;
    expect(limiter.take()).toBe(2);
    now += 10_000;
    expect(limiter.take()).toBe(0);
  });
});
