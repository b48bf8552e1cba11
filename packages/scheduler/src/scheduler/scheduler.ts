import { dataOf, mapOf, one, type ComponentOf, type RootTarget } from '@chasm/core';
import { Backfiller } from '../backfiller/backfiller.js';
import { Generator } from '../generator/generator.js';
import { Invoker } from '../invoker/invoker.js';
import { lib } from '../library-builder.js';
import type { SchedulerState } from './scheduler-state.js';

/** The schedule's action (encoded temporal.api.schedule.v1.ScheduleAction): written at create and update only. */
export interface ActionData {
  action: Uint8Array | null;
}

/** The last workflow outcome, passed to the next start (reference A.8). */
export interface LastCompletionData {
  /** Encoded Payloads of the last success. */
  success: Uint8Array | null;
  /** Encoded Failure of the last failure (cleared by a success). */
  failure: Uint8Array | null;
}

/**
 * Search attributes of a schedule. Custom ones (set by the caller) are added by name, typed by the
 * namespace's registry at query time.
 */
export const SCHEDULER_SEARCH_ATTRIBUTE_TYPES = {
  TemporalSchedulePaused: 'Bool',
  ScheduleNextActionTime: 'Datetime',
  ScheduleIdleCloseTime: 'Datetime',
  ScheduleRunningWorkflowCount: 'Int',
  ScheduleBufferedStartsCount: 'Int',
} as const;

/** What a list entry needs, kept in the visibility memo (Temporal's "ScheduleInfo" memo). */
export interface ListEntryMemo {
  /** Base64 of the caller's encoded Memo. */
  memo: string | null;
  /** Base64 of the caller's encoded SearchAttributes. */
  searchAttributes: string | null;
  spec: SchedulerState['spec'];
  workflowType: string;
  notes: string;
  paused: boolean;
  summary: SchedulerState['summary'];
}

const b64 = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('base64'));

/**
 * The schedule: a root component, its own archetype `scheduler.scheduler`, with the generator,
 * the invoker and the backfillers as children, all in one execution (reference A.2).
 */
export const Scheduler = lib.component({
  name: 'scheduler',
  children: {
    generator: one(Generator),
    invoker: one(Invoker),
    backfillers: mapOf(Backfiller),
    action: dataOf<ActionData>(),
    lastCompletion: dataOf<LastCompletionData>(),
  },
  lifecycle: (s: SchedulerState) => (s.closed ? 'completed' : 'running'),
  searchAttributeTypes: SCHEDULER_SEARCH_ATTRIBUTE_TYPES,
  searchAttributes: (s: SchedulerState) => ({
    ...s.searchAttributeValues,
    TemporalSchedulePaused: s.paused,
    ScheduleNextActionTime: s.summary.nextActionTime === null ? null : new Date(s.summary.nextActionTime),
    ScheduleIdleCloseTime: s.idleCloseTime === null ? null : new Date(s.idleCloseTime),
    ScheduleRunningWorkflowCount: s.summary.runningWorkflows,
    ScheduleBufferedStartsCount: s.summary.bufferedStarts,
  }),
  memo: (s: SchedulerState) => {
    const entry: ListEntryMemo = {
      memo: b64(s.memo),
      searchAttributes: b64(s.searchAttributes),
      spec: s.spec,
      workflowType: s.workflowType,
      notes: s.notes,
      paused: s.paused,
      summary: s.summary,
    };
    return new TextEncoder().encode(JSON.stringify(entry));
  },
  terminate(scheduler) {
    // DeleteSchedule: the schedule closes; the workflows it started keep running (reference A.11).
    scheduler.state.closed = true;
  },
});
export type SchedulerComponent = ComponentOf<typeof Scheduler>;
export type SchedulerTarget = RootTarget<SchedulerState, (typeof Scheduler)['children']>;

/** A schedule by id: the given run, or the current one. */
export const schedulerTarget = (namespaceId: string, scheduleId: string, runId?: string): SchedulerTarget => ({
  type: Scheduler,
  namespaceId,
  businessId: scheduleId,
  ...(runId ? { runId } : {}),
});
