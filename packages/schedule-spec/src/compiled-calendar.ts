import { MAX_CALENDAR_YEAR } from './calendar-bounds.js';
import { forEachRangeValue, type Range } from './range.js';
import type { StructuredCalendar } from './structured-calendar.js';
import { localToInstant, wallClock, type TimeZone } from './time-zone.js';

const HOUR_MS = 3_600_000;

type Matcher = (v: number) => boolean;

function setMatcher(ranges: readonly Range[]): Matcher {
  const values = new Set<number>();
  forEachRangeValue(ranges, (v) => values.add(v));
  return (v) => values.has(v);
}

function daysInMonth(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/**
 * A structured calendar compiled for one time zone: every field must match (day of month AND day
 * of week). Times have 1-second resolution.
 */
export class CompiledCalendar {
  private readonly year: Matcher;
  private readonly month: Matcher;
  private readonly dayOfMonth: Matcher;
  private readonly dayOfWeek: Matcher;
  private readonly hour: Matcher;
  private readonly minute: Matcher;
  private readonly second: Matcher;

  constructor(
    cal: StructuredCalendar,
    private readonly tz: TimeZone,
  ) {
    // An empty year list means every year; any other empty list matches nothing.
    this.year = cal.year.length === 0 ? () => true : setMatcher(cal.year);
    this.month = setMatcher(cal.month);
    this.dayOfMonth = setMatcher(cal.dayOfMonth);
    this.dayOfWeek = setMatcher(cal.dayOfWeek);
    this.hour = setMatcher(cal.hour);
    this.minute = setMatcher(cal.minute);
    this.second = setMatcher(cal.second);
  }

  /** Whether the UTC instant `ms` (to the second) matches in this calendar's zone. */
  matches(ms: number): boolean {
    const w = wallClock(ms, this.tz);
    return (
      this.year(w.year) &&
      this.month(w.month) &&
      this.dayOfMonth(w.day) &&
      this.dayOfWeek(w.weekday) &&
      this.hour(w.hour) &&
      this.minute(w.minute) &&
      this.second(w.second)
    );
  }

  /**
   * The earliest matching instant strictly after `afterMs`, or undefined when none is left up to
   * the year 2100. Walks wall-clock fields outside in, like Temporal's compiledCalendar.next: a
   * wall time skipped by a DST gap is skipped; a wall time in a repeated hour matches twice, first
   * in the earlier offset, then an hour later.
   */
  next(afterMs: number): number | undefined {
    const tz = this.tz;
    const start = wallClock(afterMs, tz);
    let { year: y, month: mo, day: d, hour: h, minute: m, second: s } = start;
    // Already in the second copy of a repeated hour?
    let dstOffset = wallClock(afterMs - HOUR_MS, tz).hour === h ? HOUR_MS : 0;
    s++;

    for (;;) {
      if (s >= 60) {
        m++;
        s = 0;
      }
      if (m >= 60) {
        const prev = localToInstant(tz, y, mo, d, h, 0, 0);
        h++;
        m = 0;
        const next = localToInstant(tz, y, mo, d, h, 0, 0);
        // Moving to the next hour took two hours: we passed over a repeated hour; go through it again.
        if (dstOffset === 0 && next - prev > HOUR_MS) {
          h--;
          dstOffset = HOUR_MS;
        } else {
          dstOffset = 0;
        }
      }
      if (h >= 24) {
        d++;
        h = 0;
      }
      if (d > daysInMonth(mo, y)) {
        mo++;
        d = 1;
      }
      if (mo > 12) {
        y++;
        mo = 1;
      }
      if (y > MAX_CALENDAR_YEAR) return undefined;

      if (!this.year(y)) {
        y++;
        mo = d = 1;
        h = m = s = 0;
        dstOffset = 0;
        continue;
      }
      if (!this.month(mo)) {
        mo++;
        d = 1;
        h = m = s = 0;
        dstOffset = 0;
        continue;
      }
      if (!this.dayOfMonth(d) || !this.dayOfWeek(weekday(y, mo, d))) {
        d++;
        h = m = s = 0;
        dstOffset = 0;
        continue;
      }
      if (!this.hour(h)) {
        h++;
        m = s = 0;
        dstOffset = 0;
        continue;
      }
      if (!this.minute(m)) {
        m++;
        s = 0;
        continue;
      }
      if (!this.second(s)) {
        s++;
        continue;
      }
      const ts = localToInstant(tz, y, mo, d, h, m, s);
      // A wall time jumped over by a DST transition reads back as another hour: skip it.
      if (wallClock(ts, tz).hour !== h) {
        h++;
        m = s = 0;
        continue;
      }
      return ts + dstOffset;
    }
  }
}
