import { InvalidArgumentError } from '@chasm/core';
import { LIMIT_EXCEEDED, TOO_MANY_EXCLUSIONS, type CompiledSpec } from './compiled-spec.js';

/** ListScheduleMatchingTimes answers at most this many times. */
export const MAX_MATCHING_TIMES = 1000;

/**
 * ListScheduleMatchingTimes: the actual (jittered) times in (start, end], at most 1000, ignoring
 * pause and limited actions.
 */
export function matchingTimes(spec: CompiledSpec, start: Date | undefined, end: Date | undefined, jitterSeed = ''): Date[] {
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    throw new InvalidArgumentError(start ? 'end_time' : 'start_time', 'missing or invalid query');
  }
  const out: Date[] = [];
  let t = start.getTime();
  while (out.length < MAX_MATCHING_TIMES) {
    const next = spec.search(t, jitterSeed);
    if (next === LIMIT_EXCEEDED) throw new InvalidArgumentError('spec', TOO_MANY_EXCLUSIONS);
    if (next === undefined || next.actual.getTime() > end.getTime()) break;
    out.push(next.actual);
    t = next.actual.getTime();
  }
  return out;
}
