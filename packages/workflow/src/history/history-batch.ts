import { encodeProtoMessage, type Codec, type ProtoMessageType } from '@chasm/core';
import { HistoryMsg, type temporal } from '../proto.js';

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

/** @temporalio/proto's History type as the reflection it is at run time (its typings are static). */
const historyType = HistoryMsg as unknown as ProtoMessageType;

/**
 * Events as one encoded `History` message (bytes of such messages concatenate into one), byte for
 * byte what `HistoryMsg.encode` writes, by the fields each event has (`encodeProtoMessage`, ADR
 * 0068): protobufjs' generated HistoryEvent encoder tests all ~70 fields of every event, ~60 of
 * them the `attributes` oneof, and sees every event type, so it ran megamorphic (6.7 % of the
 * server's busy samples at 200 callers). Every encode of events goes through here, the transient
 * events of a poll response included.
 */
export function encodeEvents(events: readonly temporal.api.history.v1.IHistoryEvent[]): Uint8Array {
  return encodeProtoMessage(historyType, { events });
}

/** Batch keys are the first event id, zero-padded so that key order is event order. */
export function batchKey(firstEventId: number): string {
  return String(firstEventId).padStart(10, '0');
}
