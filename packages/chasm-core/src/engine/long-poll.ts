import type { Clock } from '../clock.js';

/** Answer empty about a second before the caller's deadline (less if the deadline is near). */
export function pollWakeTime(now: Date, deadline: Date): Date {
  const remaining = deadline.getTime() - now.getTime();
  const margin = remaining > 2000 ? 1000 : Math.max(0, remaining / 2);
  return new Date(deadline.getTime() - margin);
}

/** Waits for a commit's wake-up, the wake time (on the engine's clock) or the abort signal, whichever comes first. */
export async function waitFor(
  woken: Promise<'woken'>,
  wakeAt: Date | undefined,
  signal: AbortSignal | undefined,
  clock: Clock,
): Promise<'woken' | 'deadline' | 'aborted'> {
  if (signal?.aborted) return 'aborted';
  const cleanups: (() => void)[] = [];
  const racers: Promise<'woken' | 'deadline' | 'aborted'>[] = [woken];
  if (wakeAt) racers.push(new Promise((r) => cleanups.push(clock.schedule(wakeAt, () => r('deadline')))));
  if (signal) {
    racers.push(
      new Promise((r) => {
        const onAbort = (): void => r('aborted');
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }),
    );
  }
  try {
    return await Promise.race(racers);
  } finally {
    for (const c of cleanups) c();
  }
}
