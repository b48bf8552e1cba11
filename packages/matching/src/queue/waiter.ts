/**
 * The shapes the task queue's dispatch passes between its files: a new task, a waiting poll
 * (`Waiter`), a sync-only offer and the outcome of a hand-off. Apart from `TaskQueue` so that the
 * reservation and dispatch helpers can name them without importing the queue itself.
 */
import type { BacklogTask } from '../backlog/backlog-store.js';
import type { EffectivePriority } from '../priority.js';
import type { AcceptResult, AddTaskOutcome, PolledTask, PollRequest } from '../types.js';

/** A new task, validated by the service. */
export interface NewTask {
  readonly payload: Uint8Array;
  readonly priority: EffectivePriority;
  readonly expiry: Date | undefined;
}

export type QueuedTask = BacklogTask;

export interface Waiter {
  readonly req: PollRequest;
  readonly startedMs: number;
  /** When the poll answers empty unless a task comes first. */
  readonly endsAtMs: number;
  readonly signal: AbortSignal;
  /** `reserved`: out of the line, held for a task its reserver is committing (`reserve`). */
  state: 'waiting' | 'busy' | 'reserved' | 'done';
  /** The deadline passed or the client left while the accept hook ran (or while reserved). */
  expired: boolean;
  finish(result: PolledTask | undefined, error?: unknown): void;
}

/**
 * A sync-only task (`syncOnlyUntil`) waiting for a poller. It lives only in the queue, never in
 * the backlog, and its `add` call resolves when a poller takes it or its time is up.
 */
export interface Offer {
  readonly task: QueuedTask;
  /** Its time ran out while a poller's accept hook ran: do not offer it again. */
  expired: boolean;
  settle(outcome: AddTaskOutcome): void;
}

/** Hand-off outcome: `retry` = the accept hook threw, the task must go back. */
export type Delivery = AcceptResult | 'retry';
