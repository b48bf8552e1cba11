// The converter's own module, not the package's index: the index loads ~30 more modules (the
// SDK's client-side options, failures, search attributes) that the server never uses (ADR 0054).
import { defaultPayloadConverter } from '@temporalio/common/lib/converter/payload-converter.js';
import { temporalProto, type temporal } from './temporal-proto.js';

/**
 * Messages kept as protobuf bytes in component state (opaque to the server, compact in JSON
 * state), and json/plain payloads the server writes itself (status names in Count groups,
 * search attributes, cancel reasons).
 */

export type Payload = temporal.api.common.v1.IPayload;
export type Payloads = temporal.api.common.v1.IPayloads;

/** A generated message type, as far as bytes are concerned. */
export interface MessageType<T> {
  encode(m: T): { finish(): Uint8Array };
  decode(b: Uint8Array): T;
}

/** Any message to bytes; null when absent. */
export function encodeMessage<T>(type: MessageType<T>, m: T | null | undefined): Uint8Array | null {
  return m ? type.encode(m).finish() : null;
}

/** Bytes back to a message instance; null when absent. */
export function decodeMessage<T>(type: MessageType<T>, b: Uint8Array | null | undefined): T | null {
  return b ? type.decode(b) : null;
}

const common = () => temporalProto.temporal.api.common.v1;
const failureType = () => temporalProto.temporal.api.failure.v1.Failure;

/** Payloads as bytes; null when there is no payload at all. */
export function encodePayloads(p: Payloads | null | undefined): Uint8Array | null {
  if (!p || !p.payloads || p.payloads.length === 0) return null;
  return common().Payloads.encode(p).finish();
}

export function decodePayloads(bytes: Uint8Array | null | undefined): temporal.api.common.v1.Payloads | null {
  return bytes ? common().Payloads.decode(bytes) : null;
}

/** A Header as bytes; null when it has no field. */
export function encodeHeader(h: temporal.api.common.v1.IHeader | null | undefined): Uint8Array | null {
  if (!h || !h.fields || Object.keys(h.fields).length === 0) return null;
  return common().Header.encode(h).finish();
}

export function decodeHeader(bytes: Uint8Array | null | undefined): temporal.api.common.v1.Header | null {
  return bytes ? common().Header.decode(bytes) : null;
}

/** A Failure as bytes (through `fromObject`, so enum names and plain objects are accepted). */
export function encodeFailure(f: temporal.api.failure.v1.IFailure): Uint8Array {
  const type = failureType();
  return type.encode(type.fromObject(f as Record<string, unknown>)).finish();
}

export function decodeFailure(bytes: Uint8Array | null | undefined): temporal.api.failure.v1.Failure | null {
  return bytes ? failureType().decode(bytes) : null;
}

/**
 * A value as a json/plain payload, as the SDK's default converter writes it; `type` adds the
 * search-attribute type metadata (e.g. 'Keyword') Temporal puts on search-attribute values.
 */
export function jsonPayload(value: unknown, type?: string): Payload {
  const payload = defaultPayloadConverter.toPayload(value);
  return type === undefined ? payload : { ...payload, metadata: { ...payload.metadata, type: new TextEncoder().encode(type) } };
}

/** Values as json/plain Payloads. */
export function jsonPayloads(...values: unknown[]): Payloads {
  return { payloads: values.map((v) => jsonPayload(v)) };
}
