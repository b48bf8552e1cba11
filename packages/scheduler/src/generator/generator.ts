import type { ComponentOf } from '@chasm/core';
import { lib } from '../library-builder.js';

/** State of `scheduler.generator`: the high-water mark of processed spec times. */
export interface GeneratorState {
  /** Epoch ms up to which spec times were buffered (null before the first run). */
  lastProcessedTime: number | null;
  /** Bumped whenever a wake-up timer is armed: only the latest timer is valid. */
  timerStamp: number;
  /** The next (actual) action times, for Describe and List. */
  futureActionTimes: number[];
}

/** Turns spec times into buffered starts (reference A.5). */
export const Generator = lib.component({
  name: 'generator',
  lifecycle: (_s: GeneratorState) => 'running',
});
export type GeneratorComponent = ComponentOf<typeof Generator>;
