import type { Codec } from '@chasm/core';
import { HistoryMsg, type temporal } from '../proto.js';
import { encodeHistory } from './event-encoder.js';

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
 * encode of events goes through here, so that each takes the present-fields encoder
 * (event-encoder.ts), the transient events of a poll response included.
 */
export function encodeEvents(events: readonly temporal.api.history.v1.IHistoryEvent[]): Uint8Array {
  return encodeHistory(events);
}

/** Batch keys are the first event id, zero-padded so that key order is event order. */
export function batchKey(firstEventId: number): string {
  return String(firstEventId).padStart(10, '0');
}
