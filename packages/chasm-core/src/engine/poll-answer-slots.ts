/**
 * When a process answers its long polls empty: each poll books a slot no later than the time it
 * must answer by, and at most `answersPerSecond` answers share any second.
 *
 * Why: a random spread of up to a second (pollAnswerMarginMs) was not enough for 2,000 polls
 * held open at once with the same deadline (issue 15). Writing an answer costs the process about
 * a millisecond of CPU in grpc-js and http2; on a loaded 2-core machine that was 5 ms of wall
 * time, so 2,000 answers due in the same second left over ten seconds and most arrived after
 * the caller's deadline. Booking slots backwards from the deadline starts a burst's answers
 * early enough for all of them to leave in time. An empty answer is never wrong early (the
 * worker polls again), only late.
 */
export class PollAnswerSlots {
  readonly #slotMs: number;
  readonly #perSlot: number;
  /** Booked answers per slot index (time / slotMs); slots in the past are dropped. */
  readonly #booked = new Map<number, number>();
  #prunedBelow = 0;

  readonly #lagMs: () => number;

  /**
   * `lagMs`: how far behind the process is (e.g. its event loop's delay). A poll read that late
   * was sent that much earlier, so its deadline is nearer than the server reckons from the
   * call's timeout; twice the lag comes off its answer time (at most half the wait). The process
   * instance uses none: measured lag moved ordinary polls seconds early on a loaded machine.
   */
  constructor(answersPerSecond = DEFAULT_ANSWERS_PER_SECOND, slotMs = 20, lagMs: () => number = () => 0) {
    this.#lagMs = lagMs;
    this.#slotMs = slotMs;
    this.#perSlot = Math.max(1, Math.round((answersPerSecond * slotMs) / 1000));
  }

  /**
   * Books the latest free slot at or before `latestMs` (and not before `nowMs`); returns when to
   * answer and how to give the slot back (a poll answered by a task, or aborted). When every slot
   * down to now is full the answer is due now, unbooked: it is already late.
   */
  book(latestMs: number, nowMs: number): { readonly atMs: number; release(): void } {
    this.#prune(nowMs);
    latestMs -= Math.min(2 * this.#lagMs(), Math.max(0, latestMs - nowMs) / 2);
    const first = Math.floor(nowMs / this.#slotMs);
    const own = Math.floor(latestMs / this.#slotMs);
    for (let slot = own; slot >= first; slot--) {
      const n = this.#booked.get(slot) ?? 0;
      if (n >= this.#perSlot) continue;
      this.#booked.set(slot, n + 1);
      let released = false;
      return {
        // A poll left in its own slot keeps its time exactly; a moved one answers mid-slot.
        atMs: slot === own ? latestMs : Math.max(nowMs, slot * this.#slotMs + this.#slotMs / 2),
        release: () => {
          if (released) return;
          released = true;
          const left = (this.#booked.get(slot) ?? 1) - 1;
          if (left <= 0) this.#booked.delete(slot);
          else this.#booked.set(slot, left);
        },
      };
    }
    return { atMs: nowMs, release: () => undefined };
  }

  /** Answers booked now (tests, metrics). */
  get booked(): number {
    let n = 0;
    for (const v of this.#booked.values()) n += v;
    return n;
  }

  #prune(nowMs: number): void {
    const current = Math.floor(nowMs / this.#slotMs);
    // At most once per slot: past slots can no longer be booked, and their polls have answered.
    if (current <= this.#prunedBelow) return;
    this.#prunedBelow = current;
    for (const slot of this.#booked.keys()) if (slot < current) this.#booked.delete(slot);
  }
}

/**
 * 200 empty answers a second per process: what the loaded 2-core machine sustained in the burst
 * test (about 5 ms of wall time each). 2,000 polls with one deadline then answer over the ten
 * seconds before it; a worker's usual handful of polls is not moved at all.
 */
export const DEFAULT_ANSWERS_PER_SECOND = 200;

/** The process's slots: matching's task queues and the engine's long polls share one budget. */
export const pollAnswerSlots = new PollAnswerSlots();
