/**
 * @module @chasm/schedule-spec
 * The schedule spec engine, shared by the scheduler and workflow packages: Schedule specs
 * (structured calendars, CalendarSpec and cron strings, `@every` intervals, excludes, start/end,
 * jitter, time zones) with next-time computation, and a workflow's `cron_schedule` parsed as
 * Temporal parses it (robfig/cron `ParseStandard`) with the backoff to its next run.
 */
export { MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR, MAX_COMMENT_LENGTH } from './calendar-bounds.js';
export { CalendarSyntaxError, parseCalendarSpec, parseRangeString, type CalendarSpecInput } from './calendar-string.js';
export { CompiledCalendar } from './compiled-calendar.js';
export {
  canonicalizeSpec,
  compileSpec,
  CompiledSpec,
  DEFAULT_SPEC_MAX_ITERATIONS,
  LIMIT_EXCEEDED,
  TOO_MANY_EXCLUSIONS,
  type CanonicalSpec,
  type CompileOptions,
  type CompiledInterval,
  type NextTime,
  type ScheduleSpecInput,
} from './compiled-spec.js';
export { parseCronString, type ParsedCronString, type ParsedInterval } from './cron-string.js';
export { parseGoDuration } from './go-duration.js';
export { goTimeMarshalBinaryUTC, jitterMs, jitterSeed } from './jitter.js';
export { matchingTimes, MAX_MATCHING_TIMES } from './matching-times.js';
export { cleanRange, forEachRangeValue, type Range } from './range.js';
export {
  normalizeStructuredCalendar,
  structuredCalendarProblems,
  type StructuredCalendar,
  type StructuredCalendarInput,
} from './structured-calendar.js';
export { loadTimeZone, localToInstant, wallClock, type TimeZone, type WallClock } from './time-zone.js';
export {
  parseWorkflowCron,
  workflowCronBackoffMs,
  workflowCronProblem,
  WorkflowCronSyntaxError,
  type WorkflowCronSchedule,
} from './workflow-cron.js';
