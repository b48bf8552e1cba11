/** A FIFO queue with O(1) push and shift (an array with a moving head, compacted now and then). */
export class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  /** Keeps only the items matching `pred` (used when a shard is lost). */
  retain(pred: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter(pred);
    this.head = 0;
  }
}
