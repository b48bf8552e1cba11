import { describe, expect, it } from 'vitest';
import { PriorityRateLimiter } from './priority-rate-limiter.js';

const takeAll = (l: PriorityRateLimiter, priority: number, now: number): number => {
  let n = 0;
  while (n < 10_000 && l.tryTake(priority, now)) n++;
  return n;
};

describe('PriorityRateLimiter', () => {
  it('admits the burst, then the rate', () => {
    const l = new PriorityRateLimiter({ rps: 10, burst: 20 }, 0);
    expect(takeAll(l, 3, 0)).toBe(20);
    expect(takeAll(l, 3, 500)).toBe(5);
    expect(takeAll(l, 3, 10_000)).toBe(20);
  });

  it('keeps admitting high priority while low priority is refused', () => {
    const l = new PriorityRateLimiter({ rps: 10, burst: 10 }, 0);
    expect(takeAll(l, 3, 0)).toBe(10);
    expect(l.tryTake(3, 0)).toBe(false);
    // Priority 1 is decided by its own bucket, untouched by the starts.
    expect(takeAll(l, 1, 0)).toBe(10);
  });

  it('charges high-priority calls to the lower levels, which then wait for the debt to be paid', () => {
    const l = new PriorityRateLimiter({ rps: 10, burst: 10 }, 0);
    expect(takeAll(l, 0, 0)).toBe(10);
    expect(l.tryTake(3, 0)).toBe(false);
    // Level 3 is at 0 after ten charges; one second later it has ten tokens again.
    expect(l.tryTake(3, 999)).toBe(true);
    // Low priority spends its bucket, then high priority spends its own: the low level is in debt
    // (bounded by -burst) and waits for the debt to be paid before its first token.
    const m = new PriorityRateLimiter({ rps: 10, burst: 10 }, 0);
    expect(takeAll(m, 3, 0)).toBe(10);
    expect(takeAll(m, 0, 0)).toBe(10);
    expect(takeAll(m, 0, 0)).toBe(0);
    expect(m.tryTake(3, 1050)).toBe(false);
    expect(m.tryTake(3, 1150)).toBe(true);
  });

  it('is idle once every bucket is full again', () => {
    const l = new PriorityRateLimiter({ rps: 10, burst: 10 }, 0);
    expect(l.idle(0)).toBe(true);
    l.tryTake(1, 0);
    expect(l.idle(0)).toBe(false);
    expect(l.idle(200)).toBe(true);
  });
});
