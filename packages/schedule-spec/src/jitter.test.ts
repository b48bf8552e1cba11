import { describe, expect, it } from 'vitest';
import { goTimeMarshalBinaryUTC, jitterMs, jitterSeed } from './jitter.js';

describe('Go MarshalBinary of a UTC time', () => {
  it('is 15 bytes: version 1, seconds since year 1, nanoseconds, offset -1', () => {
    // 1970-01-01T00:00:00Z is 62135596800 s after 0001-01-01 = 0x0E7791F700.
    expect(Array.from(goTimeMarshalBinaryUTC(0))).toEqual([1, 0, 0, 0, 0x0e, 0x77, 0x91, 0xf7, 0x00, 0, 0, 0, 0, 0xff, 0xff]);
    const b = goTimeMarshalBinaryUTC(1500);
    expect(Array.from(b.slice(9, 13))).toEqual([0x1d, 0xcd, 0x65, 0x00]); // 500,000,000 ns
    expect(Array.from(b.slice(1, 9))).toEqual([0, 0, 0, 0x0e, 0x77, 0x91, 0xf7, 0x01]); // one second later
  });

  it('handles times before the epoch', () => {
    const b = goTimeMarshalBinaryUTC(-1000);
    expect(Array.from(b.slice(4, 9))).toEqual([0x0e, 0x77, 0x91, 0xf6, 0xff]);
  });
});

describe('jitter', () => {
  const nominal = Date.UTC(2022, 2, 24);

  it('reproduces Temporal TestSpecJitterSeed (1h max)', () => {
    expect(jitterMs(nominal, '', 3_600_000)).toBe(35 * 60_000 + 24_276);
    expect(jitterMs(nominal, 'seed-1', 3_600_000)).toBe(6 * 60_000 + 12_519);
    expect(jitterMs(nominal, 'seed-2', 3_600_000)).toBe(39 * 60_000 + 16_922);
  });

  it('the seed is "<namespaceId>-<scheduleId>"', () => {
    expect(jitterSeed('ns-uuid', 'my-schedule')).toBe('ns-uuid-my-schedule');
  });

  it('is zero without a maximum, and never reaches the maximum', () => {
    expect(jitterMs(nominal, 'x', 0)).toBe(0);
    expect(jitterMs(nominal, 'x', -5)).toBe(0);
    expect(jitterMs(nominal, 'x', 0.9)).toBe(0); // whole milliseconds only
    for (let i = 0; i < 500; i++) {
      const j = jitterMs(nominal + i * 1000, 'seed', 1000);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(1000);
      expect(Number.isInteger(j)).toBe(true);
    }
  });

  it('is deterministic and spreads over the range', () => {
    const values = Array.from({ length: 1000 }, (_, i) => jitterMs(nominal + i * 60_000, 'ns-s', 60_000));
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => jitterMs(nominal + i * 60_000, 'ns-s', 60_000)));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(25_000);
    expect(mean).toBeLessThan(35_000);
    expect(new Set(values).size).toBeGreaterThan(950);
  });

  it('caps the maximum at 2^32-1 ms (about 49.7 days), as Temporal does', () => {
    const huge = jitterMs(nominal, 's', 1e12);
    expect(huge).toBe(jitterMs(nominal, 's', 0xffff_ffff));
    expect(huge).toBeLessThan(0xffff_ffff);
  });
});
