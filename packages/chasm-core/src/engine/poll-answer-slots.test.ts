import { describe, expect, it } from 'vitest';
import { PollAnswerSlots } from './poll-answer-slots.js';

describe(PollAnswerSlots, () => {
  it('spreads a burst with one deadline backwards from it, at most the rate per second', () => {
    const slots = new PollAnswerSlots(200, 20);
    const now = 1_000_000;
    const latest = now + 25_000;
    const at = Array.from({ length: 2000 }, () => slots.book(latest, now).atMs);
    expect(Math.max(...at)).toBeLessThanOrEqual(latest);
    expect(Math.min(...at)).toBeGreaterThanOrEqual(now);
    // 2,000 answers at 200 a second: ten seconds before the deadline, no second with more than 200.
    expect(latest - Math.min(...at)).toBeGreaterThanOrEqual(9_900);
    const perSecond = new Map<number, number>();
    for (const t of at) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(200);
  });

  it('leaves a few polls at their own time and answers at once when no slot is left', () => {
    const slots = new PollAnswerSlots(200, 20);
    const now = 0;
    for (let i = 0; i < 4; i++) expect(slots.book(1010, now).atMs).toBe(1010);
    // Every slot from now to 100 ms is full after 25 more: the rest answer now.
    for (let i = 0; i < 30; i++) slots.book(100, now);
    expect(slots.book(100, now).atMs).toBe(0);
  });

  it('gives a slot back when the poll ends another way', () => {
    const slots = new PollAnswerSlots(50, 20);
    const first = slots.book(5000, 0);
    expect(slots.booked).toBe(1);
    // One answer per slot at 50/s: the next poll with that deadline goes a slot earlier ...
    expect(slots.book(5000, 0).atMs).toBeLessThan(first.atMs);
    first.release();
    first.release();
    expect(slots.booked).toBe(1);
    // ... until the first one's slot is free again.
    expect(slots.book(5000, 0).atMs).toBe(first.atMs);
  });
});

describe('PollAnswerSlots with a lagging process', () => {
  it('answers twice the lag earlier, and never sooner than half the wait', () => {
    let lag = 0;
    const slots = new PollAnswerSlots(200, 20, () => lag);
    expect(slots.book(20_010, 0).atMs).toBe(20_010);
    lag = 3000;
    expect(slots.book(20_010, 0).atMs).toBe(14_010);
    lag = 60_000;
    expect(slots.book(20_010, 0).atMs).toBe(10_005);
  });
});
