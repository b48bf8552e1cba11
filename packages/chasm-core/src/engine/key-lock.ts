import { BusyExecutionError } from '../errors.js';

/**
 * One async mutex per key: the single writer per execution. Waiters queue in order; a key's
 * entry disappears when nobody holds or waits for it, so the map stays as small as the load.
 *
 * At most `maxWaiting` callers wait for one key behind its holder; the next is refused with
 * BusyExecutionError (Temporal's BUSY_WORKFLOW) instead of queueing. A hot execution (thousands
 * of signals a second to one workflow) would otherwise hold an unbounded queue of requests,
 * each pinning its payload and a client's deadline, served one commit at a time.
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();
  /** Holder plus waiters per key (only keys with any). */
  private readonly queued = new Map<string, number>();

  constructor(private readonly maxWaiting = Number.POSITIVE_INFINITY) {}

  async acquire(key: string): Promise<() => void> {
    const queued = this.queued.get(key) ?? 0;
    // The holder is not waiting: `queued - 1` callers wait behind it.
    if (queued > this.maxWaiting) throw new BusyExecutionError(queued - 1);
    this.queued.set(key, queued + 1);
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
      const left = (this.queued.get(key) ?? 1) - 1;
      if (left <= 0) this.queued.delete(key);
      else this.queued.set(key, left);
    };
  }

  /** Callers holding or waiting for `key`. */
  queueLength(key: string): number {
    return this.queued.get(key) ?? 0;
  }

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
