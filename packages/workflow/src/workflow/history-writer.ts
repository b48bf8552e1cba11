import { withFields, type MutableContext } from '@chasm/core';
import { batchKey, encodeEvents, historyBatchCodec, type EventBatch } from '../history/history-batch.js';
import { attributesOf } from '../history/events.js';
import { long, msToTimestamp } from '@chasm/matching';
import { HistoryEventMsg, type HistoryEvent } from '../proto.js';
import type { WorkflowComponent } from './workflow.js';

/**
 * Appends events to a run's history within one transaction. All events of the transaction go
 * into one new batch node (`commit`), so a commit writes only the new events, never the history.
 */
export class HistoryWriter {
  readonly events: HistoryEvent[] = [];

  constructor(
    readonly wf: WorkflowComponent,
    readonly ctx: MutableContext,
  ) {}

  get now(): number {
    return this.ctx.now.getTime();
  }

  /** Appends now; returns the event id. */
  append(ev: HistoryEvent): number {
    const s = this.wf.state;
    const id = s.nextEventId++;
    // A copy, then the two fields: not `{ ...ev, eventId, eventTime }`, which on Node 20's V8
    // takes a slow path (~1.5 µs) when `ev` lacks them, as it mostly does (ADR 0041).
    const e: HistoryEvent = Object.assign({}, ev);
    e.eventId = long(id);
    e.eventTime = ev.eventTime ?? msToTimestamp(this.now);
    this.events.push(e);
    return id;
  }

  /** Whether externally caused events must wait for the started workflow task to finish. */
  get buffering(): boolean {
    const t = this.wf.state.wft;
    return t !== null && t.startedEventId > 0;
  }

  /**
   * An externally caused event (signal, activity result, timer fire…): buffered while a workflow
   * task is started, appended otherwise. Returns the id when appended.
   */
  external(ev: HistoryEvent, opts: { startedIsPrevious?: boolean; childInitiated?: number } = {}): number | undefined {
    if (this.buffering) {
      const withTime = withFields(ev, { eventTime: msToTimestamp(this.now) });
      this.wf.state.buffered.push({
        bytes: HistoryEventMsg.encode(withTime).finish(),
        ...(opts.startedIsPrevious ? { startedIsPrevious: true } : {}),
        ...(opts.childInitiated !== undefined ? { childInitiated: opts.childInitiated } : {}),
      });
      return undefined;
    }
    const id = this.append(ev);
    this.noteChildStarted(ev, id);
    return id;
  }

  /** Child bookkeeping: the Started event's id is what later child events refer to. */
  private noteChildStarted(ev: HistoryEvent, id: number): void {
    const a = ev.childWorkflowExecutionStartedEventAttributes;
    if (!a) return;
    const child = this.wf.state.children[String(Number(a.initiatedEventId))];
    if (child) child.startedEventId = id;
  }

  /** Moves buffered events into history (after a workflow task finished). */
  flushBuffered(): boolean {
    const s = this.wf.state;
    if (s.buffered.length === 0) return false;
    const buffered = s.buffered;
    s.buffered = [];
    for (const b of buffered) {
      const ev = HistoryEventMsg.decode(b.bytes);
      if (b.startedIsPrevious) {
        const attrs = attributesOf(ev);
        if (attrs) attrs['startedEventId'] = long(s.nextEventId - 1);
      }
      if (b.childInitiated !== undefined) {
        const attrs = attributesOf(ev);
        const child = s.children[String(b.childInitiated)];
        if (attrs && child) attrs['startedEventId'] = long(child.startedEventId);
      }
      ev.eventId = long(0);
      this.noteChildStarted(ev, this.append(ev));
    }
    return true;
  }

  /**
   * Writes the events appended since the last call as one batch; a later call in the same
   * transaction, through this writer or another, extends the batch the transaction started (a
   * settled speculative task's Scheduled/Started and the completion's events: one row).
   * Idempotent.
   */
  commit(): void {
    if (this.events.length === 0) return;
    const first = Number(this.events[0]!.eventId);
    const batch: EventBatch = [...this.events];
    this.events.length = 0;
    const history = this.wf.fields.history;
    const open = openBatches.get(this.ctx);
    const existing = open?.next === first ? history.get(open.key) : undefined;
    const key = open && existing ? open.key : batchKey(first);
    history.set(key, existing ? [...existing, ...batch] : batch);
    openBatches.set(this.ctx, { key, next: first + batch.length });
    // Encoded `History` messages concatenate: the sizes of the parts add up to the whole's.
    this.wf.state.historySizeBytes += historyBatchCodec.encode(batch).length;
  }
}

/**
 * The history batch each transaction started (keyed by its mutable context, one per
 * transaction) and the id its next event would have: events appended later in the same
 * transaction, contiguous with it, go into it. A batch is never extended by a later transaction
 * (rewriting a stored row costs more than a new one, ADR 0051).
 */
const openBatches = new WeakMap<MutableContext, { readonly key: string; readonly next: number }>();

/** Reads history events with ids >= fromEventId (all batches, in order). */
export function readHistory(wf: WorkflowComponent, fromEventId = 1, toEventId = Number.MAX_SAFE_INTEGER): HistoryEvent[] {
  const history = wf.fields.history;
  const out: HistoryEvent[] = [];
  for (const key of batchKeysFrom(history.keys(), fromEventId)) {
    if (Number(key) > toEventId) break;
    for (const ev of history.get(key) ?? []) {
      const id = Number(ev.eventId);
      if (id >= fromEventId && id <= toEventId) out.push(ev);
    }
  }
  return out;
}

/**
 * The encoded `History` of events with ids >= fromEventId plus `extra` (transient events): whole
 * batches are their stored bytes (encoded `History` messages, which concatenate into one), so a
 * poll response carries history without decoding or re-encoding it.
 */
export function readHistoryBytes(wf: WorkflowComponent, fromEventId: number, extra: readonly HistoryEvent[] = []): Uint8Array {
  const history = wf.fields.history;
  const parts: Uint8Array[] = [];
  for (const key of batchKeysFrom(history.keys(), fromEventId)) {
    const batch = history.get(key) ?? [];
    if (Number(key) >= fromEventId) parts.push(historyBatchCodec.encode(batch));
    else parts.push(encodeEvents(batch.filter((ev) => Number(ev.eventId) >= fromEventId)));
  }
  if (extra.length > 0) parts.push(encodeEvents(extra));
  return Buffer.concat(parts);
}

/**
 * The keys of the batches that may hold events >= fromEventId, in event order: those that start
 * at or after it, and the last one before it unless a batch starts exactly there. One pass of
 * string comparisons (keys are zero-padded, `batchKey`, so string order is event order) and a sort
 * of only these few, instead of sorting and parsing every key of the run at each workflow task: a
 * run with thousands of updates or signals has thousands of batches (issue 16).
 */
export function batchKeysFrom(keys: readonly string[], fromEventId: number): string[] {
  const from = batchKey(Math.max(0, fromEventId));
  const out: string[] = [];
  let before: string | undefined;
  let startsThere = false;
  for (const key of keys) {
    if (key >= from) {
      out.push(key);
      if (key === from) startsThere = true;
    } else if (before === undefined || key > before) {
      before = key;
    }
  }
  out.sort();
  if (before !== undefined && !startsThere) out.unshift(before);
  return out;
}

export function lastEvent(wf: WorkflowComponent): HistoryEvent | undefined {
  let last: string | undefined;
  // The largest key without sorting them all (zero-padded: string order is event order).
  for (const key of wf.fields.history.keys()) if (last === undefined || key > last) last = key;
  if (last === undefined) return undefined;
  const batch = wf.fields.history.get(last) ?? [];
  return batch[batch.length - 1];
}
