import { describe, expect, it } from 'vitest';
import Long from 'long';
import {
  durationToMs,
  longToNumber,
  msToDuration,
  msToTimestamp,
  optionalDurationToMs,
  optionalTimestampToDate,
  optionalTimestampToMs,
} from './time.js';

const invalid = (field: string) => expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field } });

describe('proto time conversions', () => {
  it('writes whole milliseconds as seconds and nanos', () => {
    expect(longToNumber(msToDuration(1_500).seconds)).toBe(1);
    expect(msToDuration(1_500).nanos).toBe(500_000_000);
    const ts = msToTimestamp(new Date('2026-01-02T03:04:05.678Z'));
    expect(longToNumber(ts.seconds) * 1000 + ts.nanos! / 1e6).toBe(Date.parse('2026-01-02T03:04:05.678Z'));
    // Before the epoch: floor seconds and a non-negative nanos, as protobuf wants for a Timestamp.
    expect(msToTimestamp(-1_500)).toEqual({ seconds: -2, nanos: 500_000_000 });
    expect(msToDuration(0).nanos).toBe(0);
  });

  it('reads Durations and Timestamps with Long or number seconds', () => {
    expect(durationToMs({ seconds: Long.fromNumber(3), nanos: 250_000_000 }, 'd')).toBe(3_250);
    expect(durationToMs({ seconds: 3 as never }, 'd')).toBe(3_000);
    expect(durationToMs({}, 'd')).toBe(0);
    expect(durationToMs(null, 'd')).toBe(0);
    expect(optionalDurationToMs(undefined, 'd')).toBeUndefined();
    expect(optionalTimestampToMs({ seconds: Long.fromNumber(1_700_000_000), nanos: 1_999_999 }, 't')).toBe(1_700_000_000_001);
    expect(optionalTimestampToDate({ seconds: 0 as never, nanos: 0 }, 't')).toEqual(new Date(0));
    expect(optionalTimestampToDate(null, 't')).toBeUndefined();
  });

  it('keeps negative durations for the caller to judge', () => {
    expect(durationToMs({ seconds: -1 as never }, 'd')).toBe(-1_000);
    expect(durationToMs({ seconds: Long.fromNumber(-1), nanos: -500_000_000 }, 'd')).toBe(-1_500);
    // Zero seconds and a negative nanos: a signed computation (an unsigned zero would wrap around).
    expect(durationToMs({ seconds: Long.fromNumber(0), nanos: -500_000_000 }, 'd')).toBe(-500);
  });

  it('refuses out-of-range values with INVALID_ARGUMENT naming the field', () => {
    expect(() => durationToMs({ seconds: 1 as never, nanos: 1_000_000_000 }, 'start_to_close_timeout')).toThrow(invalid('start_to_close_timeout'));
    expect(() => durationToMs({ seconds: 1 as never, nanos: 0.5 }, 'd')).toThrow(invalid('d'));
    expect(() => durationToMs({ seconds: Long.fromString('9223372036854775807') }, 'd')).toThrow(/d: duration seconds out of range/);
    expect(() => optionalTimestampToMs({ seconds: 1 as never, nanos: -1 }, 'start_time')).toThrow(invalid('start_time'));
    expect(() => optionalTimestampToDate({ seconds: Long.fromNumber(253_402_300_800) }, 'start_time')).toThrow(/start_time: timestamp seconds out of range/);
  });
});
