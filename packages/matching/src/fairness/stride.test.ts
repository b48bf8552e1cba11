import { describe, expect, it } from 'vitest';
import { FairnessCounters, strideOf } from './stride.js';

describe('strideOf', () => {
  it('is 1000 / weight, at least 1', () => {
    expect(strideOf(1)).toBe(1000);
    expect(strideOf(3)).toBe(333);
    expect(strideOf(0.001)).toBe(1_000_000);
    expect(strideOf(1000)).toBe(1);
  });
});

describe('FairnessCounters', () => {
  it('interleaves keys in proportion to their weights', () => {
    const c = new FairnessCounters();
    const tasks: { key: string; pass: number }[] = [];
    for (let i = 0; i < 300; i++) tasks.push({ key: 'A', pass: c.next(3, 'A', 1) });
    for (let i = 0; i < 300; i++) tasks.push({ key: 'B', pass: c.next(3, 'B', 3) });
    const first = tasks.sort((a, b) => a.pass - b.pass).slice(0, 200);
    const share = first.filter((t) => t.key === 'B').length / 200;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.8);
  });

  it('starts a new key at the head, so it cannot wait behind the whole backlog', () => {
    const c = new FairnessCounters();
    for (let i = 0; i < 1000; i++) c.next(3, 'A', 1);
    c.advance(3, 5000); // five A tasks dispatched
    expect(c.next(3, 'C', 1)).toBe(5000);
  });

  it('does not let an idle key bank credit', () => {
    const c = new FairnessCounters();
    c.next(3, 'A', 1); // pass 0
    c.advance(3, 50_000);
    expect(c.next(3, 'A', 1)).toBe(50_000);
  });

  it('keeps levels independent and restores from a backlog summary', () => {
    const c = new FairnessCounters();
    c.restore(1, 7000, [['A', 9000]]);
    expect(c.next(1, 'A', 1)).toBe(10_000);
    expect(c.next(1, 'B', 1)).toBe(7000);
    expect(c.next(2, 'A', 1)).toBe(0);
  });
});
