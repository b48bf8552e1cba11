import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorker, startHarness, type Harness } from './helpers.js';

describe('standalone activity with the SDK activity client and worker', () => {
  let h: Harness;
  let stopWorker: () => Promise<void>;
  const taskQueue = `sa-${randomUUID()}`;

  beforeAll(async () => {
    h = await startHarness();
    const w = await runWorker(h.server.address, taskQueue, {
      async greet(name: string) {
        return `hello ${name}`;
      },
    });
    stopWorker = w.stop;
  });
  afterAll(async () => {
    await stopWorker?.();
    await h?.close();
  });

  it('completes with a result', async () => {
    const handle = await h.client.activity.start('greet', { id: `a-${randomUUID()}`, taskQueue, startToCloseTimeout: '5s', args: ['world'] });
    await expect(handle.result()).resolves.toBe('hello world');
    const d = await handle.describe();
    expect(d.status).toBe('COMPLETED');
    expect(d.attempt).toBe(1);
  });
});
