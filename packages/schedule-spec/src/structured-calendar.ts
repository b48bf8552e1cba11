import { CALENDAR_FIELDS, MAX_COMMENT_LENGTH, type CalendarFieldKey } from './calendar-bounds.js';
import type { Range } from './range.js';

/** A `temporal.api.schedule.v1.StructuredCalendarSpec` with every list present (maybe empty). */
export type StructuredCalendar = { [K in CalendarFieldKey]: Range[] } & { comment: string };

/** The decoded protobufjs shape (fields may be absent or null; numbers may be absent for 0). */
export interface StructuredCalendarInput {
  second?: RangeInput[] | null;
  minute?: RangeInput[] | null;
  hour?: RangeInput[] | null;
  dayOfMonth?: RangeInput[] | null;
  month?: RangeInput[] | null;
  year?: RangeInput[] | null;
  dayOfWeek?: RangeInput[] | null;
  comment?: string | null;
}

export interface RangeInput {
  start?: number | null;
  end?: number | null;
  step?: number | null;
}

export function normalizeStructuredCalendar(input: StructuredCalendarInput): StructuredCalendar {
  const ranges = (rs: RangeInput[] | null | undefined): Range[] =>
    (rs ?? []).map((r) => ({ start: r?.start ?? 0, end: r?.end ?? 0, step: r?.step ?? 0 }));
  return {
    second: ranges(input.second),
    minute: ranges(input.minute),
    hour: ranges(input.hour),
    dayOfMonth: ranges(input.dayOfMonth),
    month: ranges(input.month),
    year: ranges(input.year),
    dayOfWeek: ranges(input.dayOfWeek),
    comment: input.comment ?? '',
  };
}

/**
 * Temporal's validateStructuredCalendar: every problem, joined, after "invalid calendar spec: ".
 * Returns undefined when the calendar is valid.
 */
export function structuredCalendarProblems(cal: StructuredCalendar): string | undefined {
  const errs: string[] = [];
  for (const f of CALENDAR_FIELDS) {
    for (const r of cal[f.key]) {
      if (r.start < f.min || r.start > f.max) errs.push(`${f.name} Start is not in range [${f.min}-${f.max}]`);
      if (r.end !== 0 && (r.end < r.start || r.end > f.max)) {
        errs.push(`${f.name} End is before Start or not in range [${f.min}-${f.max}]`);
      }
      if (r.step < 0) errs.push(`${f.name} has invalid Step`);
    }
  }
  if (cal.comment.length > MAX_COMMENT_LENGTH) errs.push('comment is too long');
  return errs.length > 0 ? `invalid calendar spec: ${errs.join(', ')}` : undefined;
}
