/** The source of time for the engine and its task processors. Tests use `ManualClock`. */
export interface Clock {
  now(): Date;
  /** Calls `fn` at or after `at` (by this clock). Returns a cancel function. */
  schedule(at: Date, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  schedule(at, fn) {
    // setTimeout caps at ~24.8 days; re-arm for longer waits.
    const MAX = 2_000_000_000;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = at.getTime() - Date.now();
      handle = setTimeout(delay > MAX ? arm : fn, Math.max(0, Math.min(delay, MAX)));
      handle.unref?.();
    };
    arm();
    return () => clearTimeout(handle);
  },
};
