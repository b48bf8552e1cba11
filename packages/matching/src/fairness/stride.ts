/**
 * Stride scheduling (weighted fair queueing by virtual time), applied when a task is written.
 * Integer strides as in Temporal (`1000 / weight`, at least 1): the spec's "1/weight" scaled by
 * 1000 so passes stay exact integers in a bigint column.
 */
export const STRIDE_SCALE = 1000;

export function strideOf(weight: number): number {
  return Math.max(1, Math.floor(STRIDE_SCALE / weight));
}

/**
 * Per priority level: each fairness key's last pass, and the level's base (the pass at the queue
 * head). An idle key cannot bank credit: its next pass is never below the base.
 */
export class FairnessCounters {
  readonly #levels = new Map<number, { base: number; last: Map<string, number> }>();

  /** The pass for a new task of `key` at `priority`, recorded as that key's last pass. */
  next(priority: number, key: string, weight: number): number {
    const level = this.#level(priority);
    const stride = strideOf(weight);
    const last = level.last.get(key);
    const pass = last === undefined ? level.base : Math.max(level.base, last + stride);
    level.last.set(key, pass);
    if (level.last.size > 10_000) this.#prune(level);
    return pass;
  }

  /** The head of the level moved to `pass` (a task with that pass was dispatched). */
  advance(priority: number, pass: number): void {
    const level = this.#level(priority);
    if (pass > level.base) level.base = pass;
  }

  /** Restores state after a restart from the backlog's per-key maxima and per-level minima. */
  restore(priority: number, base: number, lastByKey: Iterable<readonly [string, number]>): void {
    const level = this.#level(priority);
    level.base = Math.max(level.base, base);
    for (const [k, p] of lastByKey) level.last.set(k, Math.max(level.last.get(k) ?? p, p));
  }

  base(priority: number): number {
    return this.#levels.get(priority)?.base ?? 0;
  }

  #level(priority: number): { base: number; last: Map<string, number> } {
    let level = this.#levels.get(priority);
    if (!level) this.#levels.set(priority, (level = { base: 0, last: new Map() }));
    return level;
  }

  // A key whose last pass is a stride behind the base behaves like an unknown key (its next pass
  // is the base). Forgetting keys a weight-1 stride behind keeps memory bounded; a low-weight key
  // forgotten early gets at most one stride of credit, which is unfairness, never loss.
  #prune(level: { base: number; last: Map<string, number> }): void {
    for (const [k, p] of level.last) if (p + STRIDE_SCALE <= level.base) level.last.delete(k);
  }
}
