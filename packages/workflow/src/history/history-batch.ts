import type { Codec } from '@chasm/core';
import { HistoryEventMsg, HistoryMsg, type temporal } from '../proto.js';

/** A decoded batch of history events (protobufjs message instances). */
export type EventBatch = readonly temporal.api.history.v1.IHistoryEvent[];

/**
 * Bytes a batch was decoded from or last encoded to. The tree re-encodes every hydrated node at
 * each commit to detect changes; batches are append-only, so returning the cached bytes makes
 * that check a memcmp instead of a protobuf encode of the whole history.
 */
const encoded = new WeakMap<object, Uint8Array>();

/** A history batch persisted as one `temporal.api.history.v1.History` message. */
export const historyBatchCodec: Codec<EventBatch> = {
  name: 'workflow.historyBatch',
  encode(batch) {
    const cached = encoded.get(batch);
    if (cached) return cached;
    const bytes = HistoryMsg.encode({ events: batch.map(asMessage) }).finish();
    encoded.set(batch, bytes);
    return bytes;
  },
  decode(bytes) {
    const events = HistoryMsg.decode(bytes).events;
    encoded.set(events, bytes);
    return events;
  },
};

/** Batch keys are the first event id, zero-padded so that key order is event order. */
export function batchKey(firstEventId: number): string {
  return String(firstEventId).padStart(10, '0');
}

/**
 * The event (and its attributes) as message instances, for the encoder only. protobufjs'
 * generated encoder probes each of HistoryEvent's ~60 fields with `m.f != null`: on the plain
 * objects the writers build (each event type its own shape, so the probes go megamorphic) every
 * absent field is a miss walked up to Object.prototype, which made the start's two-event batch
 * cost ~50 µs of the server's CPU (profile, issue 16); on an instance the miss stops at the
 * message prototype's default. A shallow copy: payloads and nested messages are shared, and
 * the bytes are the same (instances own only the fields that were set).
 */
interface ReflectedType {
  readonly ctor: abstract new (...args: never[]) => unknown;
  readonly fields: Readonly<Record<string, { readonly resolvedType: unknown } | undefined>>;
  create(props: object): object;
}
/** @temporalio/proto is a protobufjs reflection root at run time (its typings are static). */
const eventType = HistoryEventMsg as unknown as ReflectedType;

function asMessage(ev: temporal.api.history.v1.IHistoryEvent): temporal.api.history.v1.IHistoryEvent {
  if (ev instanceof eventType.ctor) return ev;
  const m = eventType.create(ev) as Record<string, unknown>;
  for (const k in ev) {
    if (!k.endsWith('EventAttributes')) continue;
    const v = m[k];
    if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) continue;
    const type = eventType.fields[k]?.resolvedType as Partial<ReflectedType> | null | undefined;
    if (typeof type?.create === 'function') m[k] = type.create(v);
  }
  return m as temporal.api.history.v1.IHistoryEvent;
}

/**
 * How large the last batch may grow by later commits before a commit starts a new one (ADR 0051).
 * A new batch is a new node row (a heap tuple and a primary-key entry in Postgres); extending the
 * last one rewrites it in place (a HOT update when the page has room) with up to this many bytes.
 * 4 KiB holds a short workflow's whole history (hello-activity: ~1.3 KB in 5–6 commits) while
 * bounding what a long history rewrites per commit.
 */
export const BATCH_EXTEND_LIMIT_BYTES = 4096;

/**
 * `existing` followed by `more`, as one batch whose bytes are the two encodings concatenated:
 * `History` is a single repeated field, so the concatenation is exactly the encoding of the
 * joined list, and nothing already stored is encoded again.
 */
export function extendBatch(existing: EventBatch, more: EventBatch): EventBatch {
  const joined: EventBatch = [...existing, ...more];
  encoded.set(joined, Buffer.concat([historyBatchCodec.encode(existing), historyBatchCodec.encode(more)]));
  return joined;
}

/**
 * The encoding of the batch's events with ids >= fromEventId, sliced from its bytes: each event
 * is one length-delimited record of field 1, and our encoder writes `event_id` (field 1, varint)
 * first in each. Undefined when the bytes are not laid out that way (then decode and filter).
 */
export function sliceBatchFrom(bytes: Uint8Array, fromEventId: number): Uint8Array | undefined {
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0x0a) return undefined;
    const len = readVarint(bytes, pos + 1);
    if (len === undefined) return undefined;
    const body = len.next;
    if (bytes[body] !== 0x08) return undefined;
    const id = readVarint(bytes, body + 1);
    if (id === undefined) return undefined;
    if (id.value >= fromEventId) return bytes.subarray(pos);
    pos = body + len.value;
  }
  return bytes.subarray(bytes.length);
}

/** A base-128 varint at `pos` (up to 2^53), and where the next field starts. */
function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length && i < pos + 8; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}
