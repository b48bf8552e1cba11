import type { Clock } from '../clock.js';

/** The share of a poll's time kept back to answer in, and its cap. */
const MARGIN_SHARE = 0.2;
const MAX_MARGIN_MS = 5000;
/** The share of a poll's time its empty answer is spread over, and its cap. */
const SPREAD_SHARE = 0.1;
const MAX_SPREAD_MS = 1000;

/**
 * How long before the caller's deadline a long poll answers empty: at least `minMarginMs`
 * (Temporal's returnEmptyTaskTimeBudget, 1 s), 20 % of the time the poll has when that is more
 * (at most 5 s), plus a random part of up to 10 % of it (at most 1 s); half the time left when
 * the deadline is too near for the minimum.
 *
 * A fixed second was not enough in a burst (issue 15: of 2,000 polls held at once with a short
 * deadline, 573 got their answer in time). The server's deadline starts when it reads the call,
 * late when its event loop is busy, and the caller must still read the answer before its own
 * timer fires; both lags grow with the burst, so the margin grows with the poll. The random part
 * spreads a burst's answers over up to a second instead of one timer tick, so writing them
 * interleaves with reading other calls. SDK polls (70 s, capped at 60 s by matching) are not
 * shortened by it.
 */
export function pollAnswerMarginMs(remainingMs: number, minMarginMs = 1000, random: () => number = Math.random): number {
  if (remainingMs <= 2 * minMarginMs) return Math.max(0, remainingMs / 2);
  const margin = Math.min(Math.max(minMarginMs, remainingMs * MARGIN_SHARE), Math.max(minMarginMs, MAX_MARGIN_MS));
  const spread = Math.min(remainingMs * SPREAD_SHARE, MAX_SPREAD_MS);
  return Math.min(remainingMs / 2, margin + random() * spread);
}

/** When a long poll with this deadline answers empty (see pollAnswerMarginMs). */
export function pollWakeTime(now: Date, deadline: Date, random: () => number = Math.random): Date {
  return new Date(deadline.getTime() - pollAnswerMarginMs(deadline.getTime() - now.getTime(), 1000, random));
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
