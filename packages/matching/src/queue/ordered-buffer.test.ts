import { describe, expect, it } from 'vitest';
import { OrderedBuffer } from './ordered-buffer.js';

const t = (priority: number, pass: number, taskId: number) => ({ key: { priority, pass, taskId } });

describe('OrderedBuffer', () => {
  it('orders by priority, then pass, then id', () => {
    const b = new OrderedBuffer<ReturnType<typeof t>>();
    for (const x of [t(3, 10, 1), t(1, 99, 2), t(3, 5, 3), t(3, 5, 0), t(5, 0, 4)]) b.insert(x);
    expect([...b.fromBest()].map((x) => x.key.taskId)).toEqual([2, 0, 3, 1, 4]);
    expect(b.worst()?.key.taskId).toBe(4);
  });

  it('ignores duplicate ids and removes by key', () => {
    const b = new OrderedBuffer<ReturnType<typeof t>>();
    const a = t(3, 1, 1);
    expect(b.insert(a)).toBe(true);
    expect(b.insert(t(3, 1, 1))).toBe(false);
    b.insert(t(3, 1, 2));
    b.remove(a);
    expect(b.size).toBe(1);
    expect(b.has(1)).toBe(false);
    expect(b.popWorst()?.key.taskId).toBe(2);
    expect(b.size).toBe(0);
  });
});
