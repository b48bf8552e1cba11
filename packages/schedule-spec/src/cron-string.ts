import { parseCalendarSpec, type CalendarSpecInput } from './calendar-string.js';
import { parseGoDuration } from './go-duration.js';
import type { StructuredCalendar } from './structured-calendar.js';

/** An interval in whole-or-fractional milliseconds, as parsed (validated later, with the others). */
export interface ParsedInterval {
  intervalMs: number;
  phaseMs: number;
}

export interface ParsedCronString {
  calendar?: StructuredCalendar;
  interval?: ParsedInterval;
  /** The `TZ=`/`CRON_TZ=` zone, or '' when the string has none. */
  timezone: string;
}

const PREDEFINED: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * Temporal's parseCronString: optional `TZ=`/`CRON_TZ=` prefix, `#` comment, `@every d[/phase]`,
 * `@yearly`…`@hourly`, or 5 (min hour dom month dow), 6 (+ year) or 7 (sec … year) fields.
 * Throws Error (plain message) or CalendarSyntaxError (names the calendar field) on bad input.
 */
export function parseCronString(input: string): ParsedCronString {
  let c = input;
  let comment = '';
  const hash = c.indexOf('#');
  if (hash >= 0) {
    comment = c.slice(hash + 1).trim();
    c = c.slice(0, hash);
  }
  c = c.trim();

  let timezone = '';
  if (c.startsWith('TZ=') || c.startsWith('CRON_TZ=')) {
    const space = c.search(/\s/);
    if (space < 0) throw new Error('malformed expression: time zone prefix without a schedule');
    timezone = c.slice(c.indexOf('=') + 1, space);
    c = c.slice(space + 1).trim();
  }

  if (c.startsWith('@every')) {
    const rest = c.slice('@every'.length);
    if (!/^\s/.test(rest) || rest.trim() === '') throw new Error('malformed expression: @every needs a duration');
    const [ivText = '', phaseText, ...extra] = rest.trim().split('/');
    if (extra.length > 0) throw new Error('too many slashes');
    const intervalMs = parseGoDuration(ivText);
    if (intervalMs === undefined) throw new Error(`invalid duration "${ivText}"`);
    let phaseMs = 0;
    if (phaseText !== undefined) {
      const p = parseGoDuration(phaseText);
      if (p === undefined) throw new Error(`invalid duration "${phaseText}"`);
      phaseMs = p;
    }
    // Temporal drops the zone of an @every string: intervals do not depend on it.
    return { interval: { intervalMs, phaseMs }, timezone: '' };
  }

  c = PREDEFINED[c] ?? c;
  const fields = c.split(/\s+/).filter((f) => f !== '');
  const names = {
    5: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'],
    6: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
    7: ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
  } as const;
  const order = fields.length === 5 || fields.length === 6 || fields.length === 7 ? names[fields.length] : undefined;
  if (!order) throw new Error(`malformed expression: expected 5, 6 or 7 fields, got ${fields.length}`);
  const cal: CalendarSpecInput = { comment };
  order.forEach((name, i) => {
    cal[name] = fields[i] ?? '';
  });
  return { calendar: parseCalendarSpec(cal), timezone };
}
