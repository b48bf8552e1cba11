import type { Clock } from '../clock.js';

/** A clock that moves only when told. Scheduled callbacks fire, in time order, on `advance`. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private readonly scheduledWaiters: { readonly by: number; readonly resolve: () => void }[] = [];

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  schedule(at: Date, fn: () => void): () => void {
    const id = ++this.seq;
    this.pending.set(id, { at: at.getTime(), fn });
    if (at.getTime() <= this.t) queueMicrotask(() => this.fire(id));
    for (let i = this.scheduledWaiters.length - 1; i >= 0; i--) {
      const w = this.scheduledWaiters[i]!;
      if (at.getTime() <= w.by) {
        this.scheduledWaiters.splice(i, 1);
        w.resolve();
      }
    }
    return () => this.pending.delete(id);
  }
  /**
   * Resolves once a callback due at or before `by` is pending (at once if one already is). Lets a
   * test advance time only after the code under test has armed its timer, instead of sleeping
   * and hoping it has.
   */
  whenScheduled(by: Date): Promise<void> {
    const limit = by.getTime();
    for (const p of this.pending.values()) if (p.at <= limit) return Promise.resolve();
    return new Promise((resolve) => this.scheduledWaiters.push({ by: limit, resolve }));
  }
  /** Moves time forward by `ms`, firing every callback that falls due, earliest first. */
  advance(ms: number): void {
    this.set(this.t + ms);
  }
  set(to: Date | number): void {
    const target = typeof to === 'number' ? to : to.getTime();
    for (;;) {
      const due = [...this.pending].filter(([, p]) => p.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due[1].at);
      this.fire(due[0]);
    }
    this.t = Math.max(this.t, target);
  }
  private fire(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.fn();
  }
}
