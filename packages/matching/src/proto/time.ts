import { InvalidArgumentError } from '@chasm/core';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import type { google } from '@temporalio/proto';
import Long from 'long';

/**
 * google.protobuf.Duration / Timestamp <-> milliseconds, for every package that speaks the
 * Temporal API. Milliseconds to protobuf is @temporalio/common's `msNumberToTs`; protobuf to
 * milliseconds is checked against the protobuf ranges first, so a bad request is INVALID_ARGUMENT
 * naming its field, never an exception from inside a helper.
 */

export type Duration = google.protobuf.IDuration;
export type Timestamp = google.protobuf.ITimestamp;
/** An int64 field as protobufjs types it (a Long; plain numbers encode just as well). */
export type Int64 = NonNullable<Timestamp['seconds']>;

/** A Duration or Timestamp as it arrives: decoded by protobufjs (seconds a Long) or built in process (a number). */
export interface ProtoTime {
  readonly seconds?: Int64 | number | string | null;
  readonly nanos?: number | null;
}

/** int64 fields: protobufjs encodes plain numbers as well as Longs; ours all fit in a double. */
export function long(n: number): Int64 {
  return n as unknown as Int64;
}

/** An int64 (Long, number or decimal string) as a number; 0 when absent. */
export function longToNumber(v: Int64 | number | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  // Number(aLong) goes through Long's toString and back (no valueOf): ~10x the cost.
  return Long.isLong(v) ? (v as Long).toNumber() : Number(v);
}

// Protobuf's documented ranges (google/protobuf/duration.proto, timestamp.proto).
const MAX_DURATION_SECONDS = 315_576_000_000;
const MIN_TIMESTAMP_SECONDS = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z
const MAX_NANOS = 999_999_999;

/** Whole non-negative milliseconds: what msNumberToTs converts exactly. */
const exact = (ms: number): boolean => Number.isSafeInteger(ms) && ms >= 0;

/**
 * Seconds and a non-negative nanos remainder, for what msNumberToTs does not cover (it would give
 * earlier instants a negative nanos, and throws on NaN): the split this code base always used.
 */
function split(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: long(seconds), nanos: Math.round((ms - seconds * 1000) * 1_000_000) };
}

/** Milliseconds as a Duration. */
export function msToDuration(ms: number): Duration {
  return exact(ms) ? msNumberToTs(ms) : split(ms);
}

/** Epoch milliseconds (or a Date) as a Timestamp. */
export function msToTimestamp(time: number | Date): Timestamp {
  const ms = typeof time === 'number' ? time : time.getTime();
  return exact(ms) ? msNumberToTs(ms) : split(ms);
}

/**
 * A checked Duration or Timestamp in milliseconds: `seconds * 1000 + floor(nanos / 1e6)`, what
 * @temporalio/common's `tsToMs` computes with Longs. In the protobuf ranges every term is a safe
 * integer (|seconds * 1000| < 2^49), so plain numbers give the same result; the Long version
 * (a Long.fromNumber, a mul, an add) was ~1% of the server's CPU per start (issue 16: a start
 * converts five durations).
 */
function checkedMs(t: ProtoTime, field: string, kind: 'duration' | 'timestamp'): number {
  const seconds = longToNumber(t.seconds);
  const nanos = t.nanos ?? 0;
  const duration = kind === 'duration';
  const minSeconds = duration ? -MAX_DURATION_SECONDS : MIN_TIMESTAMP_SECONDS;
  const maxSeconds = duration ? MAX_DURATION_SECONDS : MAX_TIMESTAMP_SECONDS;
  const minNanos = duration ? -MAX_NANOS : 0;
  if (!Number.isInteger(seconds) || seconds < minSeconds || seconds > maxSeconds) {
    throw new InvalidArgumentError(field, `${field}: ${kind} seconds out of range: ${String(t.seconds)}`);
  }
  if (!Number.isInteger(nanos) || nanos < minNanos || nanos > MAX_NANOS) {
    throw new InvalidArgumentError(field, `${field}: ${kind} nanos out of range: ${String(t.nanos)}`);
  }
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

/**
 * A Duration in milliseconds; undefined when absent. Negative durations are returned as they are
 * (whether one is allowed is the caller's rule); out-of-range seconds or nanos are INVALID_ARGUMENT.
 */
export function optionalDurationToMs(d: ProtoTime | null | undefined, field: string): number | undefined {
  return d === null || d === undefined ? undefined : checkedMs(d, field, 'duration');
}

/** A Duration in milliseconds; 0 when absent (Temporal's "unset"). */
export function durationToMs(d: ProtoTime | null | undefined, field: string): number {
  return optionalDurationToMs(d, field) ?? 0;
}

/** A Timestamp in epoch milliseconds; undefined when absent. */
export function optionalTimestampToMs(ts: ProtoTime | null | undefined, field: string): number | undefined {
  return ts === null || ts === undefined ? undefined : checkedMs(ts, field, 'timestamp');
}

/** A Timestamp as a Date; undefined when absent. */
export function optionalTimestampToDate(ts: ProtoTime | null | undefined, field: string): Date | undefined {
  return ts === null || ts === undefined ? undefined : new Date(checkedMs(ts, field, 'timestamp'));
}
