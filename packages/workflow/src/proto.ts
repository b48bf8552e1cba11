import { createRequire } from 'node:module';
import type * as TemporalProto from '@temporalio/proto';
import type { google, temporal } from '@temporalio/proto';

/**
 * The Temporal API as the protobufjs root in `@temporalio/proto`. It is CommonJS with a computed
 * export, so Node's ESM loader cannot see named exports: load it with `require`.
 */
const require = createRequire(import.meta.url);
export const proto = require('@temporalio/proto') as typeof TemporalProto;
export type { google, temporal };

export const api = proto.temporal.api;
export const Enums = proto.temporal.api.enums.v1;
export const EventType = Enums.EventType;
export const CommandType = Enums.CommandType;
export const HistoryEventMsg = proto.temporal.api.history.v1.HistoryEvent;
export const HistoryMsg = proto.temporal.api.history.v1.History;
export const PayloadsMsg = proto.temporal.api.common.v1.Payloads;

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
export type Payloads = temporal.api.common.v1.IPayloads;
export type Payload = temporal.api.common.v1.IPayload;
export type Failure = temporal.api.failure.v1.IFailure;
export type Long = NonNullable<google.protobuf.ITimestamp['seconds']>;
export type WS = typeof temporal.api.workflowservice.v1;
export type Timestamp = google.protobuf.ITimestamp;
export type Duration = google.protobuf.IDuration;

/** int64 fields: protobufjs encodes plain numbers as well as Longs; ours all fit in a double. */
export function long(n: number): Long {
  return n as unknown as Long;
}

export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return Number(v);
}

export function toTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: long(seconds), nanos: Math.round((ms - seconds * 1000) * 1_000_000) };
}

export function fromTimestamp(ts: Timestamp | null | undefined): number | undefined {
  if (!ts) return undefined;
  return num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000);
}

export function toDuration(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return { seconds: long(seconds), nanos: Math.round((ms - seconds * 1000) * 1_000_000) };
}

/** Duration in ms; 0 when absent (Temporal's "unset"). */
export function durationMs(d: Duration | null | undefined): number {
  if (!d) return 0;
  return num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1_000_000);
}

/** Encodes optional Payloads for storage in JSON state (null when absent). */
export function encodePayloads(p: Payloads | null | undefined): Uint8Array | null {
  if (!p) return null;
  return PayloadsMsg.encode(p).finish();
}

export function decodePayloads(b: Uint8Array | null | undefined): temporal.api.common.v1.Payloads | null {
  if (!b) return null;
  return PayloadsMsg.decode(b);
}

/** Encodes any message (by type) to bytes for JSON state; decodes back to a message instance. */
export interface MsgType<T> {
  encode(m: T): { finish(): Uint8Array };
  decode(b: Uint8Array): T;
}
export function enc<T>(type: MsgType<T>, m: T | null | undefined): Uint8Array | null {
  return m ? type.encode(m).finish() : null;
}
export function dec<T>(type: MsgType<T>, b: Uint8Array | null | undefined): T | null {
  return b ? type.decode(b) : null;
}
