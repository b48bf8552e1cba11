import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';

describe('ManualClock.whenScheduled', () => {
  it('resolves once a callback due by then is scheduled, and at once if one already is', async () => {
    const clock = new ManualClock(0);
    let resolved = false;
    const waiting = clock.whenScheduled(new Date(1000)).then(() => (resolved = true));
    clock.schedule(new Date(5000), () => undefined);
    await Promise.resolve();
    expect(resolved).toBe(false); // due after the limit: does not count
    clock.schedule(new Date(800), () => undefined);
    await waiting;
    expect(resolved).toBe(true);
    await expect(clock.whenScheduled(new Date(900))).resolves.toBeUndefined();
  });

  it('does not count a cancelled callback', async () => {
    const clock = new ManualClock(0);
    const cancel = clock.schedule(new Date(100), () => undefined);
    cancel();
    let resolved = false;
    void clock.whenScheduled(new Date(100)).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    clock.schedule(new Date(50), () => undefined);
    await Promise.resolve();
    expect(resolved).toBe(true);
  });
});
