import { describe, expect, it } from 'vitest';
import { DestinationDownError, EndpointCircuitBreakers } from './circuit-breakers.js';

describe('EndpointCircuitBreakers', () => {
  const down = async (): Promise<never> => {
    throw new DestinationDownError('down');
  };

  it('opens after the configured consecutive destination-down failures, per endpoint, and then makes no call', async () => {
    const b = new EndpointCircuitBreakers({ consecutiveFailures: 3, openMs: 60_000 });
    for (let i = 0; i < 3; i++) await expect(b.run('e1', down)).rejects.toBeInstanceOf(DestinationDownError);
    expect(b.isOpen('e1')).toBe(true);
    let called = false;
    expect(
      await b.run('e1', async () => {
        called = true;
        return 1;
      }),
    ).toBeUndefined();
    expect(called).toBe(false);
    // Another endpoint is not affected.
    expect(b.isOpen('e2')).toBe(false);
    expect(await b.run('e2', async () => 2)).toEqual({ value: 2 });
  });

  it('does not count other errors, and a success resets the count', async () => {
    const b = new EndpointCircuitBreakers({ consecutiveFailures: 2, openMs: 60_000 });
    await expect(b.run('e', down)).rejects.toBeInstanceOf(DestinationDownError);
    expect(await b.run('e', async () => 'ok')).toEqual({ value: 'ok' });
    await expect(b.run('e', down)).rejects.toBeInstanceOf(DestinationDownError);
    await expect(
      b.run('e', async () => {
        throw new Error('a bad request is not the destination being down');
      }),
    ).rejects.toThrow(/bad request/);
    expect(b.isOpen('e')).toBe(false);
  });

  it('lets one trial call through after openMs and closes on its success', async () => {
    const b = new EndpointCircuitBreakers({ consecutiveFailures: 1, openMs: 50 });
    await expect(b.run('e', down)).rejects.toBeInstanceOf(DestinationDownError);
    expect(b.isOpen('e')).toBe(true);
    const until = Date.now() + 2_000;
    let r: { value: string } | undefined;
    while (!r && Date.now() < until) {
      r = await b.run('e', async () => 'back');
      if (!r) await new Promise((res) => setTimeout(res, 20));
    }
    expect(r).toEqual({ value: 'back' });
    expect(b.isOpen('e')).toBe(false);
  });
});
