import { describe, expect, it } from 'vitest';
import { callbackBackoffMs } from './callback.tasks.js';

describe('callback delivery backoff', () => {
  it("follows Temporal's system retry policy: min(initial * 2^(n-1), max), jittered to [0.8d, d)", () => {
    const at = (n: number, r: number) => callbackBackoffMs(n, 1000, 60_000, () => r);
    expect([1, 2, 3, 4].map((n) => at(n, 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3].map((n) => at(n, 0))).toEqual([800, 1600, 3200]);
    expect(at(7, 1)).toBe(60_000);
    expect(at(30, 0)).toBe(48_000);
  });
});
