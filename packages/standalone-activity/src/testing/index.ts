/**
 * @module @chasm/standalone-activity/testing
 * Helpers for tests of the standalone activity package.
 */
export { DEFAULT_STANDALONE_ACTIVITY_CONFIG } from '../config.js';

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (visibility is eventually consistent). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
export { freePort, spawnServer, type ChildDatabase, type ServerProcess, type ServerProcessOptions } from './server-process.js';
