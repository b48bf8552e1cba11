/**
 * @module @chasm/scheduler
 * Schedules as a CHASM component package: a `Scheduler` root (archetype `scheduler.scheduler`)
 * with `Generator`, `Invoker` and `Backfiller` children in one execution, the eight schedule
 * RPCs. The spec engine (calendars, cron strings, intervals, time zones, jitter) is
 * `@chasm/schedule-spec`.
 */
export { Scheduler, schedulerTarget, type SchedulerComponent } from './scheduler/scheduler.js';
export type { SchedulerState, OverlapPolicy } from './scheduler/scheduler-state.js';
export { Generator } from './generator/generator.js';
export { Invoker, type BufferedStart } from './invoker/invoker.js';
export { Backfiller } from './backfiller/backfiller.js';
export { createSchedulerLibrary } from './library.js';
export { schedulerModule, SCHEDULER_CONFIG } from './module.js';
export { DEFAULT_SCHEDULER_CONFIG, schedulerConfigSchema, type SchedulerConfig } from './config.js';
export { ScheduleNotFoundError, ConflictTokenMismatchError, TooManyBackfillersError } from './errors.js';
// The default export is what a server loads when a config names this package by name or path.
export { schedulerPlugin, schedulerPlugin as default } from './plugin.js';
