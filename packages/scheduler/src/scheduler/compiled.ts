import { CompiledSpec, loadTimeZone, jitterSeed } from '@chasm/schedule-spec';
import type { SchedulerState } from './scheduler-state.js';

/**
 * Compiled specs, cached by the canonical spec's JSON: a generator run compiles the spec of its
 * schedule, and thousands of schedules share a handful of distinct specs. Bounded, oldest out.
 */
const cache = new Map<string, CompiledSpec>();
const MAX_CACHED = 1000;

export function compiledSpecOf(s: Pick<SchedulerState, 'spec'>): CompiledSpec {
  const key = JSON.stringify(s.spec);
  let spec = cache.get(key);
  if (!spec) {
    // The zone was checked when the spec was accepted; tzdata may lose a zone only across upgrades.
    const tz = loadTimeZone(s.spec.timezoneName) ?? loadTimeZone('')!;
    spec = new CompiledSpec(s.spec, tz);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, spec);
  }
  return spec;
}

/** The jitter seed of a schedule (reference A.4). */
export const seedOf = (s: Pick<SchedulerState, 'namespaceId' | 'scheduleId'>): string => jitterSeed(s.namespaceId, s.scheduleId);
