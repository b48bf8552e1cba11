import { createRequire } from 'node:module';
import type * as TemporalProto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

/**
 * The Temporal API messages, from the same protobufjs root the SDK and the server use.
 * `@temporalio/proto` is CommonJS with a runtime-computed export, so it is loaded with `require`.
 */
const require = createRequire(import.meta.url);
export const proto = require('@temporalio/proto') as typeof TemporalProto;
export type { temporal };

type LongLike = number | { toNumber(): number } | null | undefined;
export type IDuration = { seconds?: LongLike; nanos?: number | null } | null | undefined;

const num = (v: LongLike): number => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

/** A protobuf Duration in milliseconds; undefined when the field is absent. */
export function durationMs(d: IDuration): number | undefined {
  if (!d) return undefined;
  return num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

export function toDuration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function toTimestamp(ms: number): { seconds: number; nanos: number } {
  return toDuration(ms);
}

export const longToNumber = num;

const Payloads = () => proto.temporal.api.common.v1.Payloads;
const Failure = () => proto.temporal.api.failure.v1.Failure;
const Header = () => proto.temporal.api.common.v1.Header;

/** Payloads are persisted as their wire bytes: opaque to us, and compact in JSON state. */
export function encodePayloads(p: temporal.api.common.v1.IPayloads | null | undefined): Uint8Array | null {
  if (!p || !p.payloads || p.payloads.length === 0) return null;
  return Payloads().encode(p).finish();
}
export function decodePayloads(bytes: Uint8Array | null | undefined): temporal.api.common.v1.Payloads | null {
  return bytes ? Payloads().decode(bytes) : null;
}
export function encodeHeader(h: temporal.api.common.v1.IHeader | null | undefined): Uint8Array | null {
  if (!h || !h.fields || Object.keys(h.fields).length === 0) return null;
  return Header().encode(h).finish();
}
export function decodeHeader(bytes: Uint8Array | null | undefined): temporal.api.common.v1.Header | null {
  return bytes ? Header().decode(bytes) : null;
}
export function encodeFailure(f: temporal.api.failure.v1.IFailure): Uint8Array {
  return Failure().encode(Failure().fromObject(f as Record<string, unknown>)).finish();
}
export function decodeFailure(bytes: Uint8Array | null | undefined): temporal.api.failure.v1.Failure | null {
  return bytes ? Failure().decode(bytes) : null;
}
