import { InvalidArgumentError } from '@chasm/core';
import { long } from '@chasm/matching';
import { describe, expect, it } from 'vitest';
import { canonicalizeSpec, compileSpec, LIMIT_EXCEEDED, type ScheduleSpecInput } from './compiled-spec.js';

const MIN = 60;
const HOUR = 3600;
const dur = (seconds: number, nanos = 0) => ({ seconds, nanos });
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** rawNext() from `start` yields `seq` (no start/end/excludes/jitter). */
function rawSequence(spec: ScheduleSpecInput, start: number, ...seq: number[]): void {
  const cs = compileSpec(spec);
  const got: (string | undefined)[] = [];
  let t = new Date(start);
  for (let i = 0; i < seq.length; i++) {
    const next = cs.rawNext(t);
    got.push(next?.toISOString());
    if (!next) break;
    t = next;
  }
  expect(got).toEqual(seq.map(iso));
}

/** next() from `start` yields the actual (jittered) times `seq`; `undefined` ends the sequence. */
function fullSequence(seed: string, spec: ScheduleSpecInput, start: number, ...seq: (number | undefined)[]): void {
  const cs = compileSpec(spec);
  const got: (string | undefined)[] = [];
  let t = new Date(start);
  for (let i = 0; i < seq.length; i++) {
    const next = cs.next(t, seed);
    got.push(next?.actual.toISOString());
    if (!next) break;
    t = next.actual;
  }
  expect(got).toEqual(seq.map(iso));
}

function invalid(spec: ScheduleSpecInput, field: string, message: string | RegExp): void {
  let caught: unknown;
  try {
    compileSpec(spec);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).toBe(field);
  expect((caught as InvalidArgumentError).message).toMatch(message);
}

describe('intervals (Temporal spec_test)', () => {
  it('90 minutes, aligned to the epoch', () => {
    rawSequence({ interval: [{ interval: dur(90 * MIN) }] }, utc(2022, 3, 23, 12, 53, 2, 0),
      utc(2022, 3, 23, 13, 30), utc(2022, 3, 23, 15, 0), utc(2022, 3, 23, 16, 30), utc(2022, 3, 23, 18, 0));
  });

  it('with a phase', () => {
    rawSequence({ interval: [{ interval: dur(90 * MIN), phase: dur(5 * MIN + 44) }] }, utc(2022, 3, 23, 12, 53, 2),
      utc(2022, 3, 23, 13, 35, 44), utc(2022, 3, 23, 15, 5, 44), utc(2022, 3, 23, 16, 35, 44), utc(2022, 3, 23, 18, 5, 44));
  });

  it('several intervals merge', () => {
    rawSequence(
      { interval: [{ interval: dur(90 * MIN), phase: dur(5 * MIN + 44) }, { interval: dur(157 * MIN), phase: dur(22 * MIN + 11) }] },
      utc(2022, 3, 23, 12, 53, 2),
      utc(2022, 3, 23, 13, 35, 44), utc(2022, 3, 23, 15, 5, 44), utc(2022, 3, 23, 15, 26, 11), utc(2022, 3, 23, 16, 35, 44),
      utc(2022, 3, 23, 18, 3, 11), utc(2022, 3, 23, 18, 5, 44), utc(2022, 3, 23, 19, 35, 44),
    );
  });

  it('interval and phase are truncated to whole seconds', () => {
    rawSequence({ interval: [{ interval: dur(10, 900_000_000), phase: dur(3, 999_000_000) }] }, utc(2022, 1, 1, 0, 0, 0),
      utc(2022, 1, 1, 0, 0, 3), utc(2022, 1, 1, 0, 0, 13));
  });

  it('accepts Long-like seconds as protobufjs decodes them', () => {
    rawSequence({ interval: [{ interval: { seconds: long(60) } }] }, utc(2022, 1, 1, 0, 0, 30), utc(2022, 1, 1, 0, 1));
  });
});

describe('calendars and cron strings (Temporal spec_test)', () => {
  it('one calendar', () => {
    rawSequence({ calendar: [{ hour: '5,7', minute: '23' }] }, utc(2022, 3, 23, 3),
      utc(2022, 3, 23, 5, 23), utc(2022, 3, 23, 7, 23), utc(2022, 3, 24, 5, 23), utc(2022, 3, 24, 7, 23));
  });

  it('several calendars, and calendar with cron', () => {
    const expected = [utc(2022, 3, 23, 5, 23), utc(2022, 3, 23, 7, 23), utc(2022, 3, 23, 11, 55), utc(2022, 3, 23, 13, 55),
      utc(2022, 3, 24, 5, 23), utc(2022, 3, 24, 7, 23), utc(2022, 3, 24, 11, 55), utc(2022, 3, 24, 13, 55)];
    rawSequence({ calendar: [{ hour: '5,7', minute: '23' }, { hour: '11,13', minute: '55' }] }, utc(2022, 3, 23, 3), ...expected);
    rawSequence({ calendar: [{ hour: '5,7', minute: '23' }], cronString: ['55 11,13 * * *'] }, utc(2022, 3, 23, 3), ...expected);
  });

  it('calendar mixed with an interval', () => {
    rawSequence(
      { calendar: [{ hour: '11,13', minute: '55' }], interval: [{ interval: dur(90 * MIN), phase: dur(7 * MIN) }] },
      utc(2022, 3, 23, 10),
      utc(2022, 3, 23, 10, 37), utc(2022, 3, 23, 11, 55), utc(2022, 3, 23, 12, 7), utc(2022, 3, 23, 13, 37),
      utc(2022, 3, 23, 13, 55), utc(2022, 3, 23, 15, 7),
    );
  });

  it('structured calendars as the SDK sends them', () => {
    rawSequence(
      { structuredCalendar: [{ second: [{}], minute: [{ start: 15, end: 45, step: 15 }], hour: [{ start: 9 }], dayOfMonth: [{ start: 1, end: 31 }], month: [{ start: 1, end: 12 }], dayOfWeek: [{ start: 1, end: 5 }] }] },
      utc(2022, 3, 25, 9, 30), // Friday
      utc(2022, 3, 25, 9, 45), utc(2022, 3, 28, 9, 15), utc(2022, 3, 28, 9, 30),
    );
  });

  it('a cron time zone evaluates the calendar in that zone', () => {
    rawSequence({ cronString: ['CRON_TZ=America/New_York 0 9 * * *'] }, utc(2022, 3, 12), utc(2022, 3, 12, 14), utc(2022, 3, 13, 13));
    rawSequence({ cronString: ['TZ=Europe/Berlin 0 9 * * *'] }, utc(2022, 3, 26), utc(2022, 3, 26, 8), utc(2022, 3, 27, 7));
    rawSequence({ calendar: [{ hour: '9' }], timezoneName: 'Asia/Kolkata' }, utc(2022, 1, 1), utc(2022, 1, 1, 3, 30));
  });

  it('cron variants: 6 fields add a year, 7 fields lead with seconds, shortcuts, comments', () => {
    rawSequence({ cronString: ['0 12 * * * 2030'] }, utc(2022, 1, 1), utc(2030, 1, 1, 12));
    rawSequence({ cronString: ['30 0 12 1 * * 2025-2026'] }, utc(2022, 1, 1), utc(2025, 1, 1, 12, 0, 30), utc(2025, 2, 1, 12, 0, 30));
    rawSequence({ cronString: ['@hourly # every hour'] }, utc(2022, 1, 1, 0, 30), utc(2022, 1, 1, 1));
    rawSequence({ cronString: ['@daily'] }, utc(2022, 1, 1, 0, 30), utc(2022, 1, 2));
    rawSequence({ cronString: ['@midnight'] }, utc(2022, 1, 1, 0, 30), utc(2022, 1, 2));
    rawSequence({ cronString: ['@weekly'] }, utc(2022, 1, 1), utc(2022, 1, 2)); // Sunday
    rawSequence({ cronString: ['@monthly'] }, utc(2022, 1, 1), utc(2022, 2, 1));
    rawSequence({ cronString: ['@yearly'] }, utc(2022, 1, 1), utc(2023, 1, 1));
    rawSequence({ cronString: ['@annually'] }, utc(2022, 1, 1), utc(2023, 1, 1));
    rawSequence({ cronString: ['0 0 13 * fri'] }, utc(2022, 1, 1), utc(2022, 5, 13)); // Friday the 13th (AND, not OR)
    rawSequence({ cronString: ['0 0 * * 7'] }, utc(2022, 1, 1), utc(2022, 1, 2)); // 7 = Sunday
  });

  it('@every with Go units and d, with and without a phase', () => {
    // 2022-03-23T00:00Z is 10645.95 periods of 43h after the epoch: the next one is 02:00.
    rawSequence({ cronString: ['@every 43h'] }, utc(2022, 3, 23), utc(2022, 3, 23, 2), utc(2022, 3, 24, 21));
    rawSequence({ cronString: ['@every 1h30m'] }, utc(2022, 3, 23, 12, 53), utc(2022, 3, 23, 13, 30));
    rawSequence({ cronString: ['@every 2d/5h'] }, utc(2022, 3, 23), utc(2022, 3, 23, 5), utc(2022, 3, 25, 5));
    rawSequence({ cronString: ['@every 1500ms'] }, utc(2022, 3, 23), utc(2022, 3, 23, 0, 0, 1), utc(2022, 3, 23, 0, 0, 2));
  });
});

describe('start, end, 2100, excludes and jitter (Temporal spec_test values)', () => {
  it('excludes skip nominal times, jitter of 1s with the empty seed', () => {
    fullSequence('', { interval: [{ interval: dur(90 * MIN) }], excludeCalendar: [{ hour: '12-14', minute: '*', second: '*' }], jitter: dur(1) },
      utc(2022, 3, 23, 8),
      utc(2022, 3, 23, 9, 0, 0, 235), utc(2022, 3, 23, 10, 30, 0, 139), utc(2022, 3, 23, 15, 0, 0, 89), utc(2022, 3, 23, 16, 30, 0, 687));
  });

  it('structured excludes work like string ones', () => {
    fullSequence('', { interval: [{ interval: dur(HOUR) }], excludeStructuredCalendar: [{ second: [{ start: 0, end: 59 }], minute: [{ start: 0, end: 59 }], hour: [{ start: 1, end: 2 }], dayOfMonth: [{ start: 1, end: 31 }], month: [{ start: 1, end: 12 }], dayOfWeek: [{ start: 0, end: 6 }] }] },
      utc(2022, 3, 23), utc(2022, 3, 23, 3), utc(2022, 3, 23, 4));
  });

  it('excluding everything ends the schedule once the iteration limit is reached', () => {
    const cs = compileSpec({ interval: [{ interval: dur(7 * 24 * HOUR) }], excludeCalendar: [{ second: '*', minute: '*', hour: '*' }] });
    // Weekly times until 2100 are fewer than the limit: the schedule simply ends.
    expect(cs.next(new Date(utc(2022, 3, 23, 12, 53, 2)))).toBeUndefined();
    const small = compileSpec({ interval: [{ interval: dur(60) }], excludeCalendar: [{ second: '*', minute: '*', hour: '*' }] }, { maxIterations: 1000 });
    expect(small.next(new Date(utc(2022, 1, 1)))).toBeUndefined();
    expect(small.search(utc(2022, 1, 1))).toBe(LIMIT_EXCEEDED);
    const enough = compileSpec({ interval: [{ interval: dur(60) }], excludeCalendar: [{ hour: '0', minute: '*', second: '*' }] }, { maxIterations: 61 });
    expect(enough.next(new Date(utc(2022, 1, 1)))?.nominal.toISOString()).toBe(iso(utc(2022, 1, 1, 1)));
    const tooFew = compileSpec({ interval: [{ interval: dur(60) }], excludeCalendar: [{ hour: '0', minute: '*', second: '*' }] }, { maxIterations: 59 });
    expect(tooFew.search(utc(2022, 1, 1))).toBe(LIMIT_EXCEEDED);
  });

  it('start_time itself can match', () => {
    fullSequence('', { interval: [{ interval: dur(90 * MIN) }], startTime: ts(utc(2022, 3, 23, 12)), jitter: dur(1) },
      utc(2022, 3, 23, 8), utc(2022, 3, 23, 12, 0, 0, 162), utc(2022, 3, 23, 13, 30, 0, 587), utc(2022, 3, 23, 15, 0, 0, 89));
  });

  it('a nominal time before a fractional start_time is skipped (Temporal FixStartTimeBug)', () => {
    fullSequence('', { interval: [{ interval: dur(HOUR) }], startTime: ts(utc(2022, 3, 23, 12, 0, 0, 456)) },
      utc(2022, 3, 23, 12, 0, 0, 123), utc(2022, 3, 23, 13));
  });

  it('end_time ends the sequence (inclusive)', () => {
    fullSequence('', { interval: [{ interval: dur(90 * MIN) }], endTime: ts(utc(2022, 3, 23, 14)), jitter: dur(1) },
      utc(2022, 3, 23, 11), utc(2022, 3, 23, 12, 0, 0, 162), utc(2022, 3, 23, 13, 30, 0, 587), undefined);
    fullSequence('', { interval: [{ interval: dur(HOUR) }], endTime: ts(utc(2022, 3, 23, 13)) },
      utc(2022, 3, 23, 11), utc(2022, 3, 23, 12), utc(2022, 3, 23, 13), undefined);
  });

  it('nothing after 2100, for calendars and intervals', () => {
    fullSequence('', { interval: [{ interval: dur(365 * 24 * HOUR) }] }, utc(2100, 6, 1), utc(2100, 11, 30), undefined);
    fullSequence('', { calendar: [{ month: '12', dayOfMonth: '31', hour: '23', minute: '59', second: '59' }] },
      utc(2100, 12, 31), utc(2100, 12, 31, 23, 59, 59), undefined);
  });

  it('jitter is bounded by the gap to the following nominal time', () => {
    fullSequence('', { interval: [{ interval: dur(90 * MIN) }], jitter: dur(24 * HOUR) },
      utc(2022, 3, 23, 11), utc(2022, 3, 23, 12, 14, 36, 524), utc(2022, 3, 23, 14, 22, 54, 562), utc(2022, 3, 23, 15, 8, 3, 724));
  });

  it('a single-run calendar takes the whole jitter', () => {
    const cal = { hour: '13', minute: '55', dayOfMonth: '7', month: '4', year: '2022' };
    fullSequence('', { calendar: [cal] }, utc(2022, 3, 23, 11), utc(2022, 4, 7, 13, 55));
    fullSequence('', { calendar: [cal], jitter: dur(HOUR) }, utc(2022, 3, 23, 11), utc(2022, 4, 7, 13, 57, 26, 927));
  });

  it('the seed changes the jitter (Temporal TestSpecJitterSeed values)', () => {
    const spec = { interval: [{ interval: dur(24 * HOUR) }], jitter: dur(HOUR) };
    fullSequence('', spec, utc(2022, 3, 23, 11), utc(2022, 3, 24, 0, 35, 24, 276));
    fullSequence('seed-1', spec, utc(2022, 3, 23, 11), utc(2022, 3, 24, 0, 6, 12, 519));
    fullSequence('seed-2', spec, utc(2022, 3, 23, 11), utc(2022, 3, 24, 0, 39, 16, 922));
  });

  it('returns nominal and actual: nominal is on the grid, actual within [nominal, nominal + jitter)', () => {
    const cs = compileSpec({ interval: [{ interval: dur(MIN) }], jitter: dur(30) });
    let t = new Date(utc(2022, 1, 1));
    for (let i = 0; i < 200; i++) {
      const next = cs.next(t, 'ns-id-sched')!;
      expect(next.nominal.getTime() % 60_000).toBe(0);
      const j = next.actual.getTime() - next.nominal.getTime();
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(30_000);
      expect(cs.next(t, 'ns-id-sched')).toEqual(next); // deterministic
      t = next.actual;
    }
  });

  it('negative jitter counts as none', () => {
    fullSequence('', { interval: [{ interval: dur(HOUR) }], jitter: dur(-5) }, utc(2022, 1, 1), utc(2022, 1, 1, 1));
  });
});

describe('canonical form', () => {
  it('an empty spec stays empty; @every becomes an interval', () => {
    expect(canonicalizeSpec({})).toEqual({ structuredCalendar: [], excludeStructuredCalendar: [], interval: [], startTimeMs: undefined, endTimeMs: undefined, jitterMs: 0, timezoneName: '' });
    expect(canonicalizeSpec({ cronString: ['@every 43h'] }).interval).toEqual([{ intervalSeconds: 43 * HOUR, phaseSeconds: 0 }]);
  });

  it('the zone prefix of an @every string is dropped, as Temporal does', () => {
    expect(canonicalizeSpec({ cronString: ['CRON_TZ=Europe/London @every 5m'] }).timezoneName).toBe('');
    expect(canonicalizeSpec({ cronString: ['TZ=Nowhere/Land @every 5m'] }).interval).toEqual([{ intervalSeconds: 300, phaseSeconds: 0 }]);
    invalid({ cronString: ['CRON_TZ=Europe/London @every 5m', 'CRON_TZ=Europe/London 0 * * * *'] }, 'spec.cron_string[1]', 'conflicting timezone names');
  });

  it('a cron comment becomes the calendar comment', () => {
    expect(canonicalizeSpec({ cronString: ['0 12 * * * # lunch'] }).structuredCalendar[0]?.comment).toBe('lunch');
  });

  it('cron time zones: copied to the spec, equal names are fine', () => {
    expect(canonicalizeSpec({ cronString: ['CRON_TZ=Europe/London 23 5,7 * * *'] }).timezoneName).toBe('Europe/London');
    expect(canonicalizeSpec({ cronString: ['CRON_TZ=Europe/London 23 5,7 * * *'], timezoneName: 'Europe/London' }).timezoneName).toBe('Europe/London');
    expect(canonicalizeSpec({ cronString: ['23 5,7 * * *'], timezoneName: 'Europe/London' }).timezoneName).toBe('Europe/London');
  });
});

describe('validation errors name the field', () => {
  it('conflicting time zones', () => {
    invalid({ cronString: ['CRON_TZ=America/New_York 23 5,7 * * *'], timezoneName: 'Europe/London' }, 'spec.timezone_name', 'conflicting timezone names');
    invalid({ cronString: ['CRON_TZ=Europe/London 23 5,7 * * *', 'CRON_TZ=America/New_York 23 5,7 * * *'] }, 'spec.cron_string[1]', 'conflicting timezone names');
    invalid({ cronString: ['CRON_TZ=Europe/London 23 5,7 * * *', '23 5,7 * * *'] }, 'spec.cron_string[1]', 'conflicting timezone names');
    invalid({ cronString: ['23 5,7 * * *', 'CRON_TZ=Europe/London 23 5,7 * * *'] }, 'spec.cron_string[1]', 'conflicting timezone names');
    invalid({ cronString: ['TZ=Europe/London 0 * * * *'], timezoneName: 'Europe/London', timezoneData: new Uint8Array([1]) }, 'spec.timezone_name', 'conflicting timezone names');
  });

  it('unknown time zones', () => {
    invalid({ timezoneName: 'Mars/Olympus_Mons' }, 'spec.timezone_name', 'unknown time zone Mars/Olympus_Mons');
    invalid({ cronString: ['CRON_TZ=Nowhere/Land 0 * * * *'] }, 'spec.timezone_name', 'unknown time zone Nowhere/Land');
  });

  it.each([
    ['* * * *', 'expected 5, 6 or 7 fields, got 4'],
    ['* * * * * * * *', 'expected 5, 6 or 7 fields, got 8'],
    ['', 'expected 5, 6 or 7 fields, got 0'],
    ['61 * * * *', '61 is not in range [0-59]'],
    ['0 0 32 * *', '32 is not in range [1-31]'],
    ['0 0 * 13 *', '13 is not in range [1-12]'],
    ['0 0 * * 8', '8 is not in range [0-7]'],
    ['0 0 * * * 1999', '1999 is not in range [2000-2100]'],
    ['*/0 * * * *', 'invalid Step "0"'],
    ['1/2/3 * * * *', 'too many slashes'],
    ['1-2-3 * * * *', 'too many dashes'],
    ['5/ * * * *', 'missing step value'],
    ['CRON_TZ=Europe/London', 'malformed expression'],
    ['@every', 'malformed expression'],
    ['@every 5x', 'invalid duration "5x"'],
    ['@every 0s', 'interval is too small'],
    ['@every 500ms', 'interval is too small'],
    ['@every 1h/2h', 'phase cannot be greater than Interval'],
    ['@every 1h/1h', 'phase cannot be greater than Interval'],
    ['@every -1h', 'interval is too small'],
    ['@every 1h/-1m', 'phase is negative'],
    ['@fortnightly', 'expected 5, 6 or 7 fields, got 1'],
  ])('cron %j: %s', (cron, message) => {
    invalid({ cronString: ['0 * * * *', cron] }, 'spec.cron_string[1]', message);
  });

  it('CalendarSpec strings', () => {
    invalid({ calendar: [{ hour: '25' }] }, 'spec.calendar[0].hour', 'invalid calendar spec: 25 is not in range [0-23]');
    invalid({ calendar: [{}, { minute: '1-2-3' }] }, 'spec.calendar[1].minute', 'too many dashes');
    invalid({ calendar: [{ dayOfWeek: 'xx' }] }, 'spec.calendar[0].day_of_week', 'invalid value "xx"');
    invalid({ excludeCalendar: [{ month: 'foo' }] }, 'spec.exclude_calendar[0].month', 'invalid value "foo"');
    invalid({ calendar: [{ comment: 'x'.repeat(201) }] }, 'spec.calendar[0]', 'comment is too long');
  });

  it.each([
    [{ second: [{ start: 100 }] }, 'Second Start is not in range [0-59]'],
    [{ second: [{ start: -3 }] }, 'Second Start is not in range [0-59]'],
    [{ second: [{ start: 30, end: 60 }] }, 'Second End is before Start or not in range [0-59]'],
    [{ second: [{ start: 30, end: 40, step: -3 }] }, 'Second has invalid Step'],
    [{ minute: [{ start: 60 }] }, 'Minute Start is not in range [0-59]'],
    [{ hour: [{ start: 0, end: 24 }] }, 'Hour End is before Start or not in range [0-23]'],
    [{ hour: [{ start: 24, end: 26 }] }, 'Hour Start is not in range [0-23]'],
    [{ hour: [{ start: 16, end: 12 }] }, 'Hour End is before Start or not in range [0-23]'],
    [{ dayOfMonth: [{ start: 0 }] }, 'DayOfMonth Start is not in range [1-31]'],
    [{ dayOfMonth: [{ end: 33 }] }, 'DayOfMonth Start is not in range [1-31]'],
    [{ month: [{ start: 0 }] }, 'Month Start is not in range [1-12]'],
    [{ month: [{ end: 13 }] }, 'Month Start is not in range [1-12], Month End is before Start or not in range [1-12]'],
    [{ dayOfWeek: [{ start: 7 }] }, 'DayOfWeek Start is not in range [0-6]'],
    [{ dayOfWeek: [{ start: 6, end: 7 }] }, 'DayOfWeek End is before Start or not in range [0-6]'],
    [{ year: [{ start: 1999 }] }, 'Year Start is not in range [2000-2100]'],
    [{ year: [{ start: 2112 }] }, 'Year Start is not in range [2000-2100]'],
  ])('structured calendar %j', (cal, message) => {
    invalid({ structuredCalendar: [cal] }, 'spec.structured_calendar[0]', `invalid calendar spec: ${message}`);
    invalid({ excludeStructuredCalendar: [cal] }, 'spec.exclude_structured_calendar[0]', `invalid calendar spec: ${message}`);
  });

  it('intervals', () => {
    invalid({ interval: [{ interval: dur(-43 * HOUR) }] }, 'spec.interval[0]', 'interval is too small');
    invalid({ interval: [{ interval: dur(0) }] }, 'spec.interval[0]', 'interval is too small');
    invalid({ interval: [{}] }, 'spec.interval[0]', 'interval is too small');
    invalid({ interval: [{ interval: dur(0, 999_000_000) }] }, 'spec.interval[0]', 'interval is too small');
    invalid({ interval: [{ interval: dur(3 * HOUR), phase: dur(4 * HOUR) }] }, 'spec.interval[0]', 'phase cannot be greater than Interval');
    invalid({ interval: [{ interval: dur(HOUR) }, { interval: dur(HOUR), phase: dur(-1) }] }, 'spec.interval[1]', 'phase is negative');
  });

  it('end_time before start_time', () => {
    invalid({ startTime: ts(utc(2022, 1, 2)), endTime: ts(utc(2022, 1, 1)) }, 'spec.end_time', 'end_time is before start_time');
  });

  it('timezone_data alone is not supported (the TZif bytes are not read)', () => {
    invalid({ timezoneData: new Uint8Array([84, 90, 105, 102]) }, 'spec.timezone_data', 'not supported');
  });
});
