/**
 * `eventually`: the one polling wait of the test suites (visibility, retention, crash recovery and
 * other eventually consistent outcomes). It lives here, once, so that every package's tests wait
 * the same way and report a timeout the same way.
 */

/**
 * Calls `fn` until it returns a truthy value, and returns that value. An error thrown by `fn`
 * counts as "not yet" (a server restarting, a row not written yet) and is retried. After
 * `timeoutMs` it fails naming `what` and the last value or error seen. `intervalMs` is the pause
 * between two attempts: the condition is polled, no fixed sleep stands in for an event.
 */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false | null>,
  timeoutMs = 10_000,
  what = 'condition',
  intervalMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
