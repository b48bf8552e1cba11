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
    const bytes = encodeEvents(batch);
    encoded.set(batch, bytes);
    return bytes;
  },
  decode(bytes) {
    const events = HistoryMsg.decode(bytes).events;
    encoded.set(events, bytes);
    return events;
  },
};

/**
 * Events as one encoded `History` message (bytes of such messages concatenate into one). Every
 * encode of events goes through here, so that each takes the instance path of `asMessage`: the
 * transient events of a poll response (WorkflowTaskScheduled/Started of a task started in
 * memory) were encoded as plain objects, ~1.4 % of the server's samples at 50 callers.
 */
export function encodeEvents(events: readonly temporal.api.history.v1.IHistoryEvent[]): Uint8Array {
  return HistoryMsg.encode({ events: events.map(asMessage) }).finish();
}

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
