import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './go-duration.js';

describe('Go durations with d', () => {
  it.each([
    ['0', 0],
    ['5s', 5000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d12h', 129_600_000],
    ['1.5h', 5_400_000],
    ['.5m', 30_000],
    ['1500ms', 1500],
    ['3000000us', 3000],
    ['3000000µs', 3000],
    ['5000000000ns', 5000],
    ['-1h', -3_600_000],
    ['+2m', 120_000],
  ])('%s = %i ms', (s, ms) => {
    expect(parseGoDuration(s)).toBeCloseTo(ms, 6);
  });

  // '1.h5': Go reads "1." as a number (1.h = 1h), then "5" has no unit.
  it.each(['', '5', 'h', '5x', '1h 30m', '1w', '--1h', '1.h5'])('%j is not a duration', (s) => {
    expect(parseGoDuration(s)).toBeUndefined();
  });
});
