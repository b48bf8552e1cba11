import { MAX_CALENDAR_YEAR, MIN_CALENDAR_YEAR } from './calendar-bounds.js';
import type { Range } from './range.js';
import type { StructuredCalendar } from './structured-calendar.js';

/** A CalendarSpec string field that does not parse; `field` is the proto field name (e.g. `hour`). */
export class CalendarSyntaxError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The decoded protobufjs `temporal.api.schedule.v1.CalendarSpec`. */
export interface CalendarSpecInput {
  second?: string | null;
  minute?: string | null;
  hour?: string | null;
  dayOfMonth?: string | null;
  month?: string | null;
  year?: string | null;
  dayOfWeek?: string | null;
  comment?: string | null;
}

type Mode = 'int' | 'month' | 'dow';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const INTEGER = /^[+-]?\d+$/;

function parseValue(s: string, min: number, max: number, mode: Mode): number {
  const lower = s.toLowerCase();
  let v: number | undefined;
  if (mode === 'month' && s.length >= 3) {
    const i = MONTHS.findIndex((name) => name.startsWith(lower));
    if (i >= 0) v = i + 1;
  } else if (mode === 'dow' && s.length >= 2) {
    const i = WEEKDAYS.findIndex((name) => name.startsWith(lower));
    if (i >= 0) v = i;
  }
  if (v === undefined) {
    if (!INTEGER.test(s)) throw new Error(`invalid value "${s}"`);
    v = Number(s);
  }
  if (v < min || v > max) throw new Error(`${s} is not in range [${min}-${max}]`);
  return v;
}

/**
 * Parses one CalendarSpec field: `*`, `x`, `x-z`, `x-z/y`, `x/y` (x to max), `*\/y`, comma lists.
 * Day of week accepts 7 for Sunday, stored as 0.
 */
export function parseRangeString(input: string, def: string, min: number, max: number, mode: Mode): Range[] {
  let s = input.trim();
  if (s === '') s = def;
  const ranges: Range[] = [];
  // Day of week parses against 0-7 (7 = Sunday) but "*" means 0-6.
  const starMax = mode === 'dow' ? 6 : max;
  for (let part of s.split(',')) {
    let step = 1;
    let hasStep = false;
    if (part.includes('/')) {
      const pieces = part.split('/');
      if (pieces.length !== 2) throw new Error('too many slashes');
      part = pieces[0]!;
      const stepText = pieces[1]!.trim();
      if (stepText === '') throw new Error('missing step value');
      if (!INTEGER.test(stepText) || Number(stepText) < 1) throw new Error(`invalid Step "${stepText}"`);
      step = Number(stepText);
      hasStep = true;
    }
    let start = min;
    let end = starMax;
    if (part !== '*') {
      if (part.includes('-')) {
        const pieces = part.split('-');
        if (pieces.length !== 2) throw new Error('too many dashes');
        start = parseValue(pieces[0]!, min, max, mode);
        end = parseValue(pieces[1]!, start, max, mode);
      } else {
        start = parseValue(part, min, max, mode);
        end = hasStep ? max : start;
      }
    }
    if (mode === 'dow' && end === 7) {
      // 7 is Sunday: keep 0-6 in the range, and add Sunday (0) if the step lands on 7.
      if ((7 - start) % step === 0) ranges.push({ start: 0, end: 0, step: 0 });
      if (start === 7) continue;
      end = 6;
    }
    ranges.push({ start, end: start === end ? 0 : end, step: step === 1 ? 0 : step });
  }
  return ranges;
}

function field(name: string, f: () => Range[]): Range[] {
  try {
    return f();
  } catch (e) {
    throw new CalendarSyntaxError(name, (e as Error).message);
  }
}

/** Temporal's parseCalendarToStructured: second/minute/hour default "0", the rest "*"; year "*" is the empty list. */
export function parseCalendarSpec(cal: CalendarSpecInput): StructuredCalendar {
  const yearText = (cal.year ?? '').trim();
  return {
    second: field('second', () => parseRangeString(cal.second ?? '', '0', 0, 59, 'int')),
    minute: field('minute', () => parseRangeString(cal.minute ?? '', '0', 0, 59, 'int')),
    hour: field('hour', () => parseRangeString(cal.hour ?? '', '0', 0, 23, 'int')),
    dayOfMonth: field('day_of_month', () => parseRangeString(cal.dayOfMonth ?? '', '*', 1, 31, 'int')),
    month: field('month', () => parseRangeString(cal.month ?? '', '*', 1, 12, 'month')),
    year:
      yearText === '' || yearText === '*'
        ? []
        : field('year', () => parseRangeString(yearText, '*', MIN_CALENDAR_YEAR, MAX_CALENDAR_YEAR, 'int')),
    dayOfWeek: field('day_of_week', () => parseRangeString(cal.dayOfWeek ?? '', '*', 0, 7, 'dow')),
    comment: cal.comment ?? '',
  };
}
