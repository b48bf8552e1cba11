import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('returns the first truthy value, retrying falsy values and errors', async () => {
    const answers: (() => unknown)[] = [() => undefined, () => false, () => null, () => 0, () => { throw new Error('not yet'); }, () => 'done'];
    let calls = 0;
    const v = await eventually(async () => answers[calls++]!() as string | undefined, 10_000, 'the answer', 1);
    expect(v).toBe('done');
    expect(calls).toBe(answers.length);
  });

  it('fails naming what it waited for and the last error seen', async () => {
    await expect(
      eventually(
        async () => {
          throw new Error('still down');
        },
        0,
        'the server',
        1,
      ),
    ).rejects.toThrow(/timed out after 0 ms waiting for the server \(last: still down\)/);
  });
});
