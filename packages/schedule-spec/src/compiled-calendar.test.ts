import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { parseCalendarSpec, type CalendarSpecInput } from './calendar-string.js';
import { CompiledCalendar } from './compiled-calendar.js';
import { loadTimeZone, type TimeZone } from './time-zone.js';

function zone(name: string): TimeZone {
  const tz = loadTimeZone(name);
  if (!tz) throw new Error(name);
  return tz;
}

/** A wall time in a zone; `offset` picks the occurrence of a repeated time ("+01:00"…). */
function at(zoneName: string, iso: string): number {
  const dt = DateTime.fromISO(iso, { zone: zoneName });
  if (!dt.isValid) throw new Error(iso);
  return dt.toMillis();
}

function compile(spec: CalendarSpecInput, tz: string): CompiledCalendar {
  return new CompiledCalendar(parseCalendarSpec(spec), zone(tz));
}

/** next() from `start` yields `seq`; and every 7th second in between (and the last) also leads to the same next time. */
function checkSequence(cc: CompiledCalendar, start: number, seq: number[], everySecond = true): void {
  for (const exp of seq) {
    const next = cc.next(start);
    expect(next === undefined ? undefined : new Date(next).toISOString()).toBe(new Date(exp).toISOString());
    if (everySecond) {
      for (const t of [...Array.from({ length: Math.ceil((exp - start) / 7000) }, (_, i) => start + i * 7000), exp - 1000]) {
        if (cc.next(t) !== exp) throw new Error(`next(${new Date(t).toISOString()}) = ${cc.next(t)} != ${exp}`);
      }
    }
    start = exp;
  }
}

describe('CompiledCalendar.matches', () => {
  it('defaults to midnight every day, in the calendar zone', () => {
    const cc = compile({}, 'UTC');
    expect(cc.matches(Date.UTC(2022, 2, 17))).toBe(true);
    expect(cc.matches(Date.UTC(2022, 2, 18))).toBe(true);
    expect(cc.matches(Date.UTC(2022, 2, 18, 5, 15))).toBe(false);
    expect(cc.matches(at('US/Pacific', '2022-03-17T00:00:00'))).toBe(false);
    expect(cc.matches(at('US/Pacific', '2022-03-17T17:00:00'))).toBe(true);
  });

  it('ANDs day of month and day of week, across an offset change', () => {
    const cc = compile({ second: '55', minute: '55', hour: '5', dayOfWeek: 'wed-thurs', dayOfMonth: '2/2' }, 'US/Pacific');
    expect(cc.matches(at('US/Pacific', '2022-03-09T05:55:55'))).toBe(false); // odd day
    expect(cc.matches(at('US/Pacific', '2022-03-10T05:55:55'))).toBe(true);
    expect(cc.matches(at('US/Pacific', '2022-03-14T05:55:55'))).toBe(false); // Monday
    expect(cc.matches(at('US/Pacific', '2022-03-16T05:55:55'))).toBe(true);
    expect(cc.matches(Date.UTC(2022, 2, 10, 13, 55, 55))).toBe(true); // PST
    expect(cc.matches(Date.UTC(2022, 2, 16, 13, 55, 55))).toBe(false);
    expect(cc.matches(Date.UTC(2022, 2, 16, 12, 55, 55))).toBe(true); // PDT
  });
});

describe('CompiledCalendar.next', () => {
  it('increments from the smallest field outward', () => {
    const cc = compile({ second: '55', minute: '55', hour: '5', dayOfWeek: 'wed-thurs', dayOfMonth: '2/2' }, 'US/Pacific');
    const p = (iso: string) => at('US/Pacific', iso);
    expect(cc.next(p('2022-03-02T05:55:33'))).toBe(p('2022-03-02T05:55:55'));
    expect(cc.next(p('2022-03-02T05:33:33'))).toBe(p('2022-03-02T05:55:55'));
    expect(cc.next(p('2022-03-02T03:33:33'))).toBe(p('2022-03-02T05:55:55'));
    expect(cc.next(p('2022-03-01T01:11:11'))).toBe(p('2022-03-02T05:55:55'));
    expect(cc.next(p('2022-03-02T05:55:55'))).toBe(p('2022-03-10T05:55:55')); // strictly after
    expect(cc.next(p('2022-03-10T05:55:55'))).toBe(p('2022-03-16T05:55:55')); // across DST
  });

  it('works at 1-second resolution: sub-second parts of `after` are ignored', () => {
    const cc = compile({ second: '*', minute: '*', hour: '*' }, 'UTC');
    expect(cc.next(Date.UTC(2022, 0, 1, 0, 0, 0) + 999)).toBe(Date.UTC(2022, 0, 1, 0, 0, 1));
  });

  it('skips a wall time in the spring-forward gap (US/Pacific)', () => {
    const cc = compile({ second: '33', minute: '33', hour: '2' }, 'US/Pacific');
    checkSequence(cc, at('US/Pacific', '2022-03-11T20:00:00'), [
      at('US/Pacific', '2022-03-12T02:33:33'),
      // 2022-03-13 has no 02:33:33
      at('US/Pacific', '2022-03-14T02:33:33'),
    ]);
  });

  it('fires a repeated wall time twice on fall-back day (US/Pacific)', () => {
    const cc = compile({ second: '33', minute: '33,44', hour: '1' }, 'US/Pacific');
    checkSequence(cc, at('US/Pacific', '2021-11-07T00:15:15'), [
      at('US/Pacific', '2021-11-07T01:33:33-07:00'),
      at('US/Pacific', '2021-11-07T01:44:33-07:00'),
      at('US/Pacific', '2021-11-07T01:33:33-08:00'),
      at('US/Pacific', '2021-11-07T01:44:33-08:00'),
      at('US/Pacific', '2021-11-08T01:33:33'),
    ]);
  });

  it('America/New_York: 02:30 is skipped in March and 01:30 fires twice in November', () => {
    const gap = compile({ minute: '30', hour: '2' }, 'America/New_York');
    checkSequence(gap, Date.UTC(2024, 2, 9, 12), [Date.UTC(2024, 2, 11, 6, 30) /* 3/11 02:30 EDT */], false);
    const overlap = compile({ minute: '30', hour: '1' }, 'America/New_York');
    checkSequence(overlap, Date.UTC(2024, 10, 2, 12), [
      Date.UTC(2024, 10, 3, 1, 30) + 4 * 3_600_000, // 01:30 EDT
      Date.UTC(2024, 10, 3, 1, 30) + 5 * 3_600_000, // 01:30 EST
      Date.UTC(2024, 10, 4, 1, 30) + 5 * 3_600_000,
    ]);
  });

  it('Europe/Berlin: 02:30 is skipped in March and fires twice in October', () => {
    const cc = compile({ minute: '30', hour: '2' }, 'Europe/Berlin');
    checkSequence(cc, Date.UTC(2022, 2, 25, 12), [
      Date.UTC(2022, 2, 26, 1, 30), // 3/26 02:30 CET
      Date.UTC(2022, 2, 28, 0, 30), // 3/27 has no 02:30; 3/28 02:30 CEST
    ]);
    checkSequence(cc, Date.UTC(2022, 9, 29, 12), [
      Date.UTC(2022, 9, 30, 0, 30), // 02:30 CEST
      Date.UTC(2022, 9, 30, 1, 30), // 02:30 CET
      Date.UTC(2022, 9, 31, 1, 30),
    ]);
  });

  it('every minute across the Berlin fall-back runs through both copies of the hour', () => {
    const cc = compile({ minute: '*/20', hour: '*' }, 'Europe/Berlin');
    const out: string[] = [];
    let t = Date.UTC(2022, 9, 29, 23, 30);
    for (let i = 0; i < 9; i++) {
      t = cc.next(t)!;
      out.push(new Date(t).toISOString().slice(11, 16));
    }
    // UTC times: 00:00-00:40 is 02:xx CEST, 01:00-01:40 is 02:xx CET.
    expect(out).toEqual(['23:40', '00:00', '00:20', '00:40', '01:00', '01:20', '01:40', '02:00', '02:20']);
  });

  it('a start inside the repeated hour does not go back to the first copy', () => {
    const cc = compile({ minute: '30', hour: '1' }, 'America/New_York');
    // 01:10 EST (second copy): next is 01:30 EST, not 01:30 EDT again.
    expect(cc.next(Date.UTC(2024, 10, 3, 6, 10))).toBe(Date.UTC(2024, 10, 3, 6, 30));
  });

  it('Europe/London: a start inside a repeated hour in 1971, next match in 1972', () => {
    const cc = compile({ second: '0', minute: '1', hour: '0', dayOfMonth: '2', month: 'Jan', dayOfWeek: 'Sun' }, 'Europe/London');
    expect(cc.next(at('Europe/London', '1970-01-01T00:00:05'))).toBe(at('Europe/London', '1972-01-02T00:01:00'));
    expect(cc.next(at('Europe/London', '1971-10-31T02:07:03'))).toBe(at('Europe/London', '1972-01-02T00:01:00'));
  });

  it('stops after 2100 and honours the year list', () => {
    expect(compile({ month: '2', dayOfMonth: '29', year: '2100' }, 'UTC').next(Date.UTC(2022, 0, 1))).toBeUndefined();
    expect(compile({ month: '12', dayOfMonth: '31', hour: '23' }, 'UTC').next(Date.UTC(2100, 11, 31, 23))).toBeUndefined();
    expect(compile({ month: '2', dayOfMonth: '29' }, 'UTC').next(Date.UTC(2022, 0, 1))).toBe(Date.UTC(2024, 1, 29));
    expect(compile({ year: '2030/10' }, 'UTC').next(Date.UTC(2031, 0, 1))).toBe(Date.UTC(2040, 0, 1));
  });
});
