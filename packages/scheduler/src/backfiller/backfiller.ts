import type { ComponentOf } from '@chasm/core';
import { lib } from '../library-builder.js';
import type { OverlapPolicy } from '../scheduler/scheduler-state.js';

/** State of `scheduler.backfiller`: one backfill request or one trigger-immediately (reference A.9). */
export interface BackfillerState {
  backfillId: string;
  kind: 'range' | 'trigger';
  /** Range: the inclusive bounds. Trigger: both are the patch's server time. */
  startTime: number;
  endTime: number;
  overlapPolicy: OverlapPolicy;
  /** Range: the last spec time buffered (null before the first pass). */
  lastProcessedTime: number | null;
  attempt: number;
  /** Bumped at each pass: only the latest task is valid. */
  stamp: number;
}

export const Backfiller = lib.component({
  name: 'backfiller',
  lifecycle: (_s: BackfillerState) => 'running',
});
export type BackfillerComponent = ComponentOf<typeof Backfiller>;
