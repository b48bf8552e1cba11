import { describe, expect, it } from 'vitest';
import { ExecutionCache, type CachedExecution } from './execution-cache.js';

const entry = (businessId: string): CachedExecution =>
  ({ row: { namespaceId: 'n', businessId, archetype: 'a', runId: 'r', shardId: 1 }, tree: {}, visibilityFingerprint: undefined, visibilityTaskIds: [] }) as unknown as CachedExecution;
const key = (businessId: string) => ({ namespaceId: 'n', businessId, archetype: 'a', runId: 'r' });

describe('ExecutionCache', () => {
  it('drops executions unused for the idle time, least recently used first, and keeps recent ones', () => {
    let now = 0;
    const cache = new ExecutionCache(100, () => now);
    cache.set(entry('a'));
    now = 10;
    cache.set(entry('b'));
    now = 20;
    cache.set(entry('c'));
    now = 30;
    expect(cache.get(key('a'))).toBeDefined(); // a is used again: now the most recent
    now = 45;
    expect(cache.evictIdle(30)).toBe(1); // b (10) is older than 45 - 30; c (20) is not
    expect(cache.get(key('b'))).toBeUndefined();
    expect(cache.size).toBe(2);
    now = 100;
    expect(cache.evictIdle(30)).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('still evicts by size, and forgets the use time of what it evicts', () => {
    let now = 0;
    const cache = new ExecutionCache(2, () => now);
    for (const id of ['a', 'b', 'c']) {
      now++;
      cache.set(entry(id));
    }
    expect(cache.get(key('a'))).toBeUndefined();
    now = 1000;
    expect(cache.evictIdle(10)).toBe(2);
  });
});

describe('ExecutionCache closed tier', () => {
  const closedEntry = (businessId: string): CachedExecution => {
    const e = entry(businessId);
    (e.row as { status: string }).status = 'completed';
    return e;
  };

  it('keeps at most maxClosed closed executions, oldest closed dropped first, open ones untouched', () => {
    const cache = new ExecutionCache(1000, () => 0, 3);
    cache.set({ ...entry('open'), row: { ...entry('open').row, status: 'running' } } as CachedExecution);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) cache.set(closedEntry(id));
    expect(cache.closedSize).toBe(3);
    expect(cache.size).toBe(4);
    expect(cache.get(key('c1'))).toBeUndefined();
    expect(cache.get(key('c2'))).toBeUndefined();
    expect(cache.get(key('c5'))).toBeDefined();
    expect(cache.get(key('open'))).toBeDefined();
  });

  it('forgets a closed execution from the tier when it is dropped or evicted', () => {
    let now = 0;
    const cache = new ExecutionCache(1000, () => now, 3);
    cache.set(closedEntry('a'));
    cache.set(closedEntry('b'));
    cache.drop(key('a'));
    now = 100;
    expect(cache.evictIdle(10)).toBe(1);
    expect(cache.closedSize).toBe(0);
  });
});

describe('ExecutionCache and speculative changes (ADR 0067)', () => {
  const speculative = (businessId: string): CachedExecution => {
    const e = entry(businessId);
    e.speculative = true;
    return e;
  };

  it('never evicts an execution holding a speculative change by size; evicts it once settled', () => {
    let now = 0;
    const cache = new ExecutionCache(2, () => now);
    const a = speculative('a');
    cache.set(a);
    now++;
    cache.set(entry('b'));
    now++;
    cache.set(entry('c')); // over the bound: a is the oldest but pinned, b goes
    expect(cache.peek(key('a'))).toBe(a);
    expect(cache.peek(key('b'))).toBeUndefined();
    expect(cache.size).toBe(2);
    a.speculative = false;
    now++;
    cache.set(entry('d')); // c is older than a now (a was moved to the recent end): c goes
    expect(cache.peek(key('c'))).toBeUndefined();
    now++;
    cache.set(entry('e'));
    expect(cache.peek(key('a'))).toBeUndefined();
  });

  it('stays above its bound rather than evict when every execution holds a speculative change', () => {
    const cache = new ExecutionCache(1, () => 0);
    cache.set(speculative('a'));
    cache.set(speculative('b'));
    expect(cache.size).toBe(2);
  });

  it('does not drop an idle execution holding a speculative change', () => {
    let now = 0;
    const cache = new ExecutionCache(100, () => now);
    cache.set(speculative('a'));
    cache.set(entry('b'));
    now = 100;
    expect(cache.evictIdle(10)).toBe(1);
    expect(cache.peek(key('a'))).toBeDefined();
  });

  it('keeps an execution’s memory epoch across eviction and reload, and changes it when the execution is dropped', () => {
    const cache = new ExecutionCache(1, () => 0);
    const first = cache.epochOf(key('a'));
    cache.set(entry('a'));
    cache.set(entry('b')); // evicts a
    expect(cache.peek(key('a'))).toBeUndefined();
    expect(cache.epochOf(key('a'))).toBe(first);
    cache.drop(key('a')); // a failed commit discarded its in-memory state
    const second = cache.epochOf(key('a'));
    expect(second).not.toBe(first);
    expect(cache.epochOf(key('b'))).toBe(cache.epochOf(key('b')));
    const b = cache.epochOf(key('b'));
    cache.forgetDeleted(key('b'));
    expect(cache.epochOf(key('b'))).toBe(b);
    cache.dropShard(1); // every execution of the node may have lost what it held
    expect(cache.epochOf(key('a'))).not.toBe(second);
    expect(cache.epochOf(key('b'))).not.toBe(b);
    // Another process (another cache) never shares an epoch.
    expect(new ExecutionCache(1).epochOf(key('c'))).not.toBe(cache.epochOf(key('c')));
  });
});
