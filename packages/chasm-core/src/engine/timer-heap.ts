/** A binary min-heap of items due at a time (ms since epoch). */
export class TimerHeap<T> {
  private readonly items: { at: number; value: T }[] = [];

  get size(): number {
    return this.items.length;
  }
  peek(): { at: number; value: T } | undefined {
    return this.items[0];
  }
  push(atMs: number, value: T): void {
    // Whole milliseconds: Date (and so every Clock) has no finer resolution, and a fractional
    // due time would fire a timer that then finds nothing due, forever.
    const at = Math.ceil(atMs);
    const a = this.items;
    a.push({ at, value });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= a[i]!.at) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): { at: number; value: T } | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.at < a[m]!.at) m = l;
        if (r < a.length && a[r]!.at < a[m]!.at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
  /** Removes every item matching `pred` (rebuilds; used only when a shard is lost). */
  removeWhere(pred: (v: T) => boolean): void {
    const keep = this.items.filter((x) => !pred(x.value));
    this.items.length = 0;
    for (const x of keep) this.push(x.at, x.value);
  }
}
