import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a one-second burst, then the rate', () => {
    const l = new RateLimiter(2, 0);
    expect(l.tryTake(0)).toBe(true);
    expect(l.tryTake(0)).toBe(true);
    expect(l.tryTake(0)).toBe(false);
    expect(l.waitMs(0)).toBe(500);
    expect(l.tryTake(500)).toBe(true);
  });

  it('pauses at rate 0 and is unlimited at Infinity', () => {
    const paused = new RateLimiter(0, 0);
    expect(paused.waitMs(10_000)).toBe(Infinity);
    const open = new RateLimiter(Infinity, 0);
    for (let i = 0; i < 1000; i++) expect(open.tryTake(0)).toBe(true);
  });

  it('changes rate without refilling past the new burst', () => {
    const l = new RateLimiter(100, 0);
    l.setRate(1, 0);
    expect(l.tryTake(0)).toBe(true);
    expect(l.tryTake(0)).toBe(false);
  });
});
