/**
 * @chasm/scheduler — so far only the schedule spec engine (issue 10): parsing, validation and
 * time computation of `temporal.api.schedule.v1.ScheduleSpec`, as Temporal computes it.
 */
export * from './spec/index.js';
