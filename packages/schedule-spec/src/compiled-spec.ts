import { InvalidArgumentError } from '@chasm/core';
import { optionalDurationToMs, optionalTimestampToMs, type ProtoTime } from '@chasm/matching';
import type { temporal } from '@temporalio/proto';
import { CalendarSyntaxError, parseCalendarSpec } from './calendar-string.js';
import { MAX_CALENDAR_YEAR } from './calendar-bounds.js';
import { CompiledCalendar } from './compiled-calendar.js';
import { parseCronString } from './cron-string.js';
import { jitterMs } from './jitter.js';
import {
  normalizeStructuredCalendar,
  structuredCalendarProblems,
  type StructuredCalendar,
} from './structured-calendar.js';
import { loadTimeZone, type TimeZone } from './time-zone.js';

/**
 * `temporal.api.schedule.v1.IScheduleSpec` as protobufjs decodes it, with Durations and Timestamps
 * loosened so that `seconds` may be a Long, a number or a string (matching's `ProtoTime`).
 */
export type ScheduleSpecInput = Omit<temporal.api.schedule.v1.IScheduleSpec, 'interval' | 'startTime' | 'endTime' | 'jitter'> & {
  interval?: ({ interval?: ProtoTime | null; phase?: ProtoTime | null } | null)[] | null;
  startTime?: ProtoTime | null;
  endTime?: ProtoTime | null;
  jitter?: ProtoTime | null;
};

/** Default of `scheduler.specMaxIterations`: candidates examined before the search gives up. */
export const DEFAULT_SPEC_MAX_ITERATIONS = 1_209_600;

/** A whole-second interval with its phase, aligned to the Unix epoch. */
export interface CompiledInterval {
  intervalSeconds: number;
  phaseSeconds: number;
}

/** The next time of a spec: nominal (before jitter) and actual (after jitter). */
export interface NextTime {
  nominal: Date;
  actual: Date;
}

export interface CompileOptions {
  /** Candidates examined (excluded or before start) before giving up; default 1,209,600. */
  maxIterations?: number;
}

/** The canonical, validated spec: strings parsed into structured calendars and intervals. */
export interface CanonicalSpec {
  structuredCalendar: StructuredCalendar[];
  excludeStructuredCalendar: StructuredCalendar[];
  interval: CompiledInterval[];
  startTimeMs?: number | undefined;
  endTimeMs?: number | undefined;
  jitterMs: number;
  timezoneName: string;
}

/** First instant of the year after the last calendar year: nothing matches from here on. */
const END_OF_CALENDAR_MS = Date.UTC(MAX_CALENDAR_YEAR + 1, 0, 1);

export const TOO_MANY_EXCLUSIONS =
  'the schedule calendar specification has too many exclusions. Please modify the specification.';

/** The search gave up after `maxIterations` candidates. */
export const LIMIT_EXCEEDED: unique symbol = Symbol('spec iteration limit exceeded');

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function validateInterval(field: string, intervalMs: number, phaseMs: number): CompiledInterval {
  if (!(intervalMs >= 1000)) throw new InvalidArgumentError(field, 'interval is too small');
  if (phaseMs < 0) throw new InvalidArgumentError(field, 'phase is negative');
  if (phaseMs >= intervalMs) throw new InvalidArgumentError(field, 'phase cannot be greater than Interval');
  return { intervalSeconds: Math.trunc(intervalMs / 1000), phaseSeconds: Math.trunc(phaseMs / 1000) };
}

function parseCalendars(field: string, cals: temporal.api.schedule.v1.ICalendarSpec[] | null | undefined): StructuredCalendar[] {
  return (cals ?? []).map((cal, i) => {
    try {
      return parseCalendarSpec(cal ?? {});
    } catch (e) {
      if (e instanceof CalendarSyntaxError) {
        throw new InvalidArgumentError(`${field}[${i}].${e.field}`, `invalid calendar spec: ${e.message}`);
      }
      throw e;
    }
  });
}

function checkStructured(field: string, cals: StructuredCalendar[]): void {
  cals.forEach((cal, i) => {
    const problems = structuredCalendarProblems(cal);
    if (problems !== undefined) throw new InvalidArgumentError(`${field}[${i}]`, problems);
  });
}

/**
 * Temporal's canonicalizeSpec plus validation: parses CalendarSpec strings and cron strings,
 * checks time zones agree, validates calendars and intervals. Throws InvalidArgumentError naming
 * the field (`spec.cron_string[0]`, `spec.calendar[1].hour`, `spec.interval[0]`, …).
 */
export function canonicalizeSpec(spec: ScheduleSpecInput): CanonicalSpec {
  const structured = (spec.structuredCalendar ?? []).map((c) => normalizeStructuredCalendar(c ?? {}));
  const excludes = (spec.excludeStructuredCalendar ?? []).map((c) => normalizeStructuredCalendar(c ?? {}));
  checkStructured('spec.structured_calendar', structured);
  checkStructured('spec.exclude_structured_calendar', excludes);

  const fromStrings = parseCalendars('spec.calendar', spec.calendar);
  checkStructured('spec.calendar', fromStrings);
  const excludeFromStrings = parseCalendars('spec.exclude_calendar', spec.excludeCalendar);
  checkStructured('spec.exclude_calendar', excludeFromStrings);

  const intervals: CompiledInterval[] = (spec.interval ?? []).map((iv, i) =>
    validateInterval(
      `spec.interval[${i}]`,
      optionalDurationToMs(iv?.interval, `spec.interval[${i}].interval`) ?? 0,
      optionalDurationToMs(iv?.phase, `spec.interval[${i}].phase`) ?? 0,
    ),
  );

  const fromCron: StructuredCalendar[] = [];
  let cronTz: string | undefined;
  (spec.cronString ?? []).forEach((cs, i) => {
    const field = `spec.cron_string[${i}]`;
    let parsed;
    try {
      parsed = parseCronString(cs);
    } catch (e) {
      const where = e instanceof CalendarSyntaxError ? ` (${e.field})` : '';
      throw new InvalidArgumentError(field, `invalid cron string "${cs}"${where}: ${errorMessage(e)}`);
    }
    // All cron strings must agree on the time zone, whether present or not.
    if (cronTz !== undefined && parsed.timezone !== cronTz) {
      throw new InvalidArgumentError(field, 'conflicting timezone names');
    }
    cronTz = parsed.timezone;
    if (parsed.calendar) {
      const problems = structuredCalendarProblems(parsed.calendar);
      if (problems !== undefined) throw new InvalidArgumentError(field, problems);
      fromCron.push(parsed.calendar);
    }
    if (parsed.interval) intervals.push(validateInterval(field, parsed.interval.intervalMs, parsed.interval.phaseMs));
  });

  let timezoneName = spec.timezoneName ?? '';
  const hasTzData = spec.timezoneData !== null && spec.timezoneData !== undefined && spec.timezoneData.length > 0;
  if (cronTz !== undefined && cronTz !== '') {
    if ((timezoneName !== '' && timezoneName !== cronTz) || hasTzData) {
      throw new InvalidArgumentError('spec.timezone_name', 'conflicting timezone names');
    }
    timezoneName = cronTz;
  }

  const startTimeMs = optionalTimestampToMs(spec.startTime, 'spec.start_time');
  const endTimeMs = optionalTimestampToMs(spec.endTime, 'spec.end_time');
  if (startTimeMs !== undefined && endTimeMs !== undefined && endTimeMs < startTimeMs) {
    throw new InvalidArgumentError('spec.end_time', 'end_time is before start_time');
  }

  return {
    structuredCalendar: [...structured, ...fromStrings, ...fromCron],
    excludeStructuredCalendar: [...excludes, ...excludeFromStrings],
    interval: intervals,
    startTimeMs,
    endTimeMs,
    jitterMs: optionalDurationToMs(spec.jitter, 'spec.jitter') ?? 0,
    timezoneName,
  };
}

function loadZone(spec: ScheduleSpecInput, name: string): TimeZone {
  const hasTzData = spec.timezoneData !== null && spec.timezoneData !== undefined && spec.timezoneData.length > 0;
  if (hasTzData && name === '') {
    throw new InvalidArgumentError('spec.timezone_data', 'timezone_data is not supported without timezone_name');
  }
  const tz = loadTimeZone(name);
  if (!tz) throw new InvalidArgumentError('spec.timezone_name', `unknown time zone ${name}`);
  return tz;
}

/** A validated spec ready to compute times (Temporal's CompiledSpec). */
export class CompiledSpec {
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];
  private readonly maxIterations: number;

  constructor(
    readonly canonical: CanonicalSpec,
    readonly timeZone: TimeZone,
    options: CompileOptions = {},
  ) {
    this.calendars = canonical.structuredCalendar.map((c) => new CompiledCalendar(c, timeZone));
    this.excludes = canonical.excludeStructuredCalendar.map((c) => new CompiledCalendar(c, timeZone));
    this.maxIterations = options.maxIterations ?? DEFAULT_SPEC_MAX_ITERATIONS;
  }

  /** The first matching time strictly after `after`, ignoring start/end, excludes and jitter. */
  rawNext(after: Date): Date | undefined {
    const ms = this.rawNextMs(after.getTime());
    return ms === undefined ? undefined : new Date(ms);
  }

  private rawNextMs(afterMs: number): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (const cal of this.calendars) {
      const next = cal.next(afterMs);
      if (next !== undefined && next < min) min = next;
    }
    const ts = Math.floor(afterMs / 1000);
    for (const iv of this.canonical.interval) {
      const next = (Math.trunc((ts - iv.phaseSeconds) / iv.intervalSeconds) + 1) * iv.intervalSeconds + iv.phaseSeconds;
      if (next * 1000 < min) min = next * 1000;
    }
    return Number.isFinite(min) ? min : undefined;
  }

  /** Whether any exclude calendar matches the time. */
  excluded(ms: number): boolean {
    return this.excludes.some((cal) => cal.matches(ms));
  }

  /**
   * The first time strictly after `after` (start_time itself can match), or undefined when the
   * schedule has no more times (past end_time, after 2100, or the search gave up on exclusions).
   */
  next(after: Date, jitterSeed = ''): NextTime | undefined {
    const r = this.search(after.getTime(), jitterSeed);
    return r === LIMIT_EXCEEDED ? undefined : r;
  }

  /** Like next(), but tells a search that gave up (LIMIT_EXCEEDED) from the end of the schedule. */
  search(afterMs: number, jitterSeed = ''): NextTime | undefined | typeof LIMIT_EXCEEDED {
    const { startTimeMs, endTimeMs } = this.canonical;
    let after = afterMs;
    // Start right before start_time so that start_time itself can match.
    if (startTimeMs !== undefined && after < startTimeMs) after = startTimeMs - 1000;
    let nominal: number | undefined;
    for (let candidates = 0; ; candidates++) {
      if (candidates >= this.maxIterations) return LIMIT_EXCEEDED;
      nominal = this.rawNextMs(after);
      if (nominal === undefined || nominal >= END_OF_CALENDAR_MS) return undefined;
      if (endTimeMs !== undefined && nominal > endTimeMs) return undefined;
      after = nominal;
      if (startTimeMs !== undefined && nominal < startTimeMs) continue;
      if (!this.excluded(nominal)) break;
    }
    let maxJitter = Math.max(0, this.canonical.jitterMs);
    // Jitter never pushes a time past the following nominal time.
    const following = this.rawNextMs(nominal);
    if (following !== undefined) maxJitter = Math.min(maxJitter, following - nominal);
    return { nominal: new Date(nominal), actual: new Date(nominal + jitterMs(nominal, jitterSeed, maxJitter)) };
  }
}

/** Parses, validates and compiles a ScheduleSpec as the SDK sends it. Throws InvalidArgumentError. */
export function compileSpec(spec: ScheduleSpecInput, options: CompileOptions = {}): CompiledSpec {
  const canonical = canonicalizeSpec(spec);
  return new CompiledSpec(canonical, loadZone(spec, canonical.timezoneName), options);
}
