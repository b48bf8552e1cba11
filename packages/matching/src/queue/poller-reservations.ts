/**
 * Poller reservations (ADR 0040): a waiting poller taken out of the line for a task its reserver
 * starts in its own commit, then answered with that task (`deliver`) or put back (`release`).
 * This file holds the reservation's life cycle, what it answers once the poll ended meanwhile
 * (client gone, queue closed) and its outcome counts; which poller is taken, under which rules, is
 * the queue's dispatch (`TaskQueue.reserve`). The queue gives one `ReservationHost`, built once,
 * so a reservation allocates no more than it did inside the queue.
 */
import { withFields } from '@chasm/core';
import type { EffectivePriority } from '../priority.js';
import type { PolledTask, PollerReservation } from '../types.js';
import type { Waiter } from './waiter.js';

export type ReservationOutcome = 'delivered' | 'released' | 'lost';

/** What a reservation needs of its queue. */
export interface ReservationHost {
  /** Pollers out of the line for a reserver's commit; close() answers them empty. */
  readonly held: Set<Waiter>;
  /** The queue stopped (closed, ownership lost). */
  isClosed(): boolean;
  /** Back at the head of the line; dispatch runs. */
  requeue(waiter: Waiter): void;
  /** Counts the task as added and sync-matched, and builds the poll's answer. */
  delivered(priority: EffectivePriority, weight: number, payload: Uint8Array): PolledTask;
  /** Counts a reservation's outcome (pollerReservations{outcome}). */
  count(outcome: ReservationOutcome): void;
}

/** Holds `waiter` (already out of the line) for its reserver. */
export function holdPoller(waiter: Waiter, priority: EffectivePriority, weight: number, host: ReservationHost): PollerReservation {
  waiter.state = 'reserved';
  host.held.add(waiter);
  const ended = (): boolean => host.isClosed() || waiter.signal.aborted;
  return {
    identity: waiter.req.identity,
    ...(waiter.req.client ? { client: waiter.req.client } : {}),
    get alive() {
      return waiter.state === 'reserved' && !ended();
    },
    deliver: (task) => {
      if (waiter.state !== 'reserved') {
        // Answered empty by close(): the queue stopped while the reserver committed.
        if (host.isClosed()) host.count('lost');
        return false;
      }
      host.held.delete(waiter);
      if (ended()) {
        // The client left (or the queue closed): the poll ends empty, the task is not handed over.
        waiter.finish(undefined);
        host.count('lost');
        return false;
      }
      const polled = host.delivered(priority, weight, task.payload);
      host.count('delivered');
      // Deliberately after the poll's planned end if the commit was that slow: the client is
      // still there (not aborted), and the end was planned well before its deadline.
      waiter.finish(withFields(polled, { prepared: task.prepared }));
      return true;
    },
    release: () => {
      if (waiter.state !== 'reserved') return;
      host.held.delete(waiter);
      host.count('released');
      if (waiter.expired || ended()) {
        waiter.finish(undefined);
        return;
      }
      waiter.state = 'waiting';
      host.requeue(waiter);
    },
  };
}
