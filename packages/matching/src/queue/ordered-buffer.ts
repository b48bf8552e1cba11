import { compareKeys, type TaskKey } from '../backlog/task-key.js';

/**
 * The in-memory part of a backlog, sorted by dispatch order. Kept descending so the best task
 * is at the end (pop is O(1)); insertion is a binary search plus splice, fine for the few
 * thousand entries a reader holds.
 */
export class OrderedBuffer<T extends { readonly key: TaskKey }> {
  readonly #items: T[] = [];
  readonly #ids = new Set<number>();

  get size(): number {
    return this.#items.length;
  }

  has(taskId: number): boolean {
    return this.#ids.has(taskId);
  }

  /** Inserts unless a task with the same id is already held. */
  insert(t: T): boolean {
    if (this.#ids.has(t.key.taskId)) return false;
    this.#ids.add(t.key.taskId);
    this.#items.splice(this.#indexOf(t.key), 0, t);
    return true;
  }

  best(): T | undefined {
    return this.#items[this.#items.length - 1];
  }

  worst(): T | undefined {
    return this.#items[0];
  }

  popWorst(): T | undefined {
    const t = this.#items.shift();
    if (t) this.#ids.delete(t.key.taskId);
    return t;
  }

  remove(t: T): void {
    if (!this.#ids.delete(t.key.taskId)) return;
    const i = this.#indexOf(t.key);
    // #indexOf returns the slot before equal keys in descending order; the item sits at i.
    const at = this.#items[i]?.key.taskId === t.key.taskId ? i : this.#items.findIndex((x) => x.key.taskId === t.key.taskId);
    if (at >= 0) this.#items.splice(at, 1);
  }

  /** Best first. Do not mutate while iterating. */
  *fromBest(): IterableIterator<T> {
    for (let i = this.#items.length - 1; i >= 0; i--) yield this.#items[i] as T;
  }

  // First index whose key is <= `key` (items are descending).
  #indexOf(key: TaskKey): number {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys((this.#items[mid] as T).key, key) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
