import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { IdleGc } from './idle-gc.js';

const collections = async (metrics: Registry): Promise<number> => (await metrics.getSingleMetric('chasm_idle_gc_total')!.get()).values[0]?.value ?? 0;

async function until(what: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('IdleGc', () => {
  it('collects once when the process goes quiet after work, and again only after more work', async () => {
    const metrics = new Registry();
    // A quiet check: under 50 % of a core over 100 ms (vitest's own threads stay below that).
    const idle = new IdleGc(createLogger('silent'), metrics, { checkEveryMs: 100, quietChecks: 2, quietCpuShare: 0.5, shrunkNewSpaceBytes: Infinity, retries: 2 });
    idle.start();
    try {
      // The start counts as work: the first quiet spell collects.
      await until(async () => (await collections(metrics)) === 1);
      // Quiet on: no second collection.
      await new Promise((r) => setTimeout(r, 600));
      expect(await collections(metrics)).toBe(1);
      // Busy for a few checks (the CPU spin is the work), then quiet again: one more.
      const spinUntil = Date.now() + 400;
      while (Date.now() < spinUntil) Math.sqrt(Math.random());
      await until(async () => (await collections(metrics)) === 2);
    } finally {
      idle.stop();
    }
  }, 30_000);

  it('collects again at the next quiet checks while the young generation stays large, a bounded number of times', async () => {
    const metrics = new Registry();
    // No young generation is ever small enough: every collection counts as not shrunk.
    const idle = new IdleGc(createLogger('silent'), metrics, { checkEveryMs: 100, quietChecks: 2, quietCpuShare: 0.5, shrunkNewSpaceBytes: -1, retries: 2 });
    idle.start();
    try {
      await until(async () => (await collections(metrics)) === 3);
      await new Promise((r) => setTimeout(r, 600));
      expect(await collections(metrics)).toBe(3);
    } finally {
      idle.stop();
    }
  }, 30_000);
});
