import { describe, expect, it } from 'vitest';
import { BusyExecutionError, ResourceExhaustedError } from '../errors.js';
import { KeyLock } from './key-lock.js';

describe(KeyLock, () => {
  it('refuses BUSY_WORKFLOW past the waiting limit of one key, and takes waiters again once it drains', async () => {
    const lock = new KeyLock(2);
    const holder = await lock.acquire('a');
    const waiters = [lock.acquire('a'), lock.acquire('a')];
    const refused = await lock.acquire('a').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(BusyExecutionError);
    expect(refused).toBeInstanceOf(ResourceExhaustedError);
    expect(refused).toMatchObject({ exhaustedCause: 'BUSY_WORKFLOW', scope: 'NAMESPACE', message: 'Workflow is busy.' });
    // Another key is not affected.
    (await lock.acquire('b'))();
    holder();
    for (const w of waiters) (await w)();
    expect(lock.queueLength('a')).toBe(0);
    (await lock.acquire('a'))();
  });

  it('serves waiters in order without a limit', async () => {
    const lock = new KeyLock();
    const order: number[] = [];
    await Promise.all(Array.from({ length: 50 }, (_, i) => lock.with('k', async () => void order.push(i))));
    expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
