import { describe, expect, it } from 'vitest';
import { forEachRangeValue } from './range.js';
import { parseCalendarSpec, parseRangeString } from './calendar-string.js';

function values(s: string, min: number, max: number, mode: 'int' | 'month' | 'dow' = 'int'): number[] {
  const out: number[] = [];
  forEachRangeValue(parseRangeString(s, s, min, max, mode), (v) => out.push(v));
  return out;
}

describe('CalendarSpec field grammar', () => {
  it.each([
    ['13', 0, 59, [13]],
    ['13,18', 0, 59, [13, 18]],
    ['13,18,44', 0, 59, [13, 18, 44]],
    ['13-18', 0, 59, [13, 14, 15, 16, 17, 18]],
    ['2-5,7-9,11', 0, 59, [2, 3, 4, 5, 7, 8, 9, 11]],
    ['*', 5, 9, [5, 6, 7, 8, 9]],
    ['*/3', 5, 9, [5, 8]],
    ['2/3', 0, 10, [2, 5, 8]],
    ['2-6/3', 0, 10, [2, 5]],
    ['2-6/4,7-8', 0, 10, [2, 6, 7, 8]],
    ['1,3,5-7', 0, 10, [1, 3, 5, 6, 7]],
    [' 4 ', 0, 10, [4]],
  ] as const)('%s in [%i-%i]', (s, min, max, expected) => {
    expect(values(s, min, max)).toEqual(expected);
  });

  it('month names need at least 3 letters and are case-insensitive', () => {
    expect(values('Sept', 1, 12, 'month')).toEqual([9]);
    expect(values('AUGUST', 1, 12, 'month')).toEqual([8]);
    expect(values('jan-mar', 1, 12, 'month')).toEqual([1, 2, 3]);
    expect(values('February/5', 1, 12, 'month')).toEqual([2, 7, 12]);
    expect(() => values('ja', 1, 12, 'month')).toThrow('invalid value "ja"');
  });

  it('weekday names need at least 2 letters; 7 is Sunday; * is 0-6', () => {
    expect(values('mon-Friday', 0, 7, 'dow')).toEqual([1, 2, 3, 4, 5]);
    expect(values('fr', 0, 7, 'dow')).toEqual([5]);
    expect(values('7', 0, 7, 'dow')).toEqual([0]);
    expect(values('6,7', 0, 7, 'dow')).toEqual([6, 0]);
    expect(values('5-7', 0, 7, 'dow').sort()).toEqual([0, 5, 6]);
    expect(values('*', 0, 7, 'dow')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => values('s', 0, 7, 'dow')).toThrow('invalid value "s"');
  });

  it.each([
    ['133', 0, 59, '133 is not in range [0-59]'],
    ['13,18,44,', 0, 59, 'invalid value ""'],
    ['18-13', 0, 59, '13 is not in range [18-59]'],
    ['1,3,18-13', 0, 59, '13 is not in range [18-59]'],
    ['2/3/5', 0, 10, 'too many slashes'],
    ['1-5-7', 0, 10, 'too many dashes'],
    ['5/', 0, 10, 'missing step value'],
    ['5/0', 0, 10, 'invalid Step "0"'],
    ['5/x', 0, 10, 'invalid Step "x"'],
    ['monday-', 0, 7, 'invalid value ""'],
    ['abc', 0, 10, 'invalid value "abc"'],
  ] as const)('%s is refused: %s', (s, min, max, message) => {
    expect(() => parseRangeString(s, s, min, max, max === 7 ? 'dow' : 'int')).toThrow(message);
  });

  it('Fri-Tues is refused (end before start)', () => {
    expect(() => parseRangeString('Fri-Tues', '*', 0, 7, 'dow')).toThrow('is not in range [5-7]');
  });
});

describe('parseCalendarSpec', () => {
  it('fills Temporal defaults: 00:00:00 every day, every year (empty list)', () => {
    expect(parseCalendarSpec({ hour: '5,7', minute: '23' })).toEqual({
      second: [{ start: 0, end: 0, step: 0 }],
      minute: [{ start: 23, end: 0, step: 0 }],
      hour: [
        { start: 5, end: 0, step: 0 },
        { start: 7, end: 0, step: 0 },
      ],
      dayOfMonth: [{ start: 1, end: 31, step: 0 }],
      month: [{ start: 1, end: 12, step: 0 }],
      dayOfWeek: [{ start: 0, end: 6, step: 0 }],
      year: [],
      comment: '',
    });
  });

  it('parses years within 2000-2100 and names the failing field', () => {
    expect(parseCalendarSpec({ year: '2020-2022,2024' }).year).toEqual([
      { start: 2020, end: 2022, step: 0 },
      { start: 2024, end: 0, step: 0 },
    ]);
    expect(() => parseCalendarSpec({ year: '1999' })).toThrow(expect.objectContaining({ field: 'year', message: '1999 is not in range [2000-2100]' }));
    expect(() => parseCalendarSpec({ hour: '24' })).toThrow(expect.objectContaining({ field: 'hour' }));
    expect(() => parseCalendarSpec({ dayOfMonth: '0' })).toThrow(expect.objectContaining({ field: 'day_of_month' }));
    expect(() => parseCalendarSpec({ month: '13' })).toThrow(expect.objectContaining({ field: 'month' }));
    expect(() => parseCalendarSpec({ dayOfWeek: '8' })).toThrow(expect.objectContaining({ field: 'day_of_week' }));
    expect(() => parseCalendarSpec({ second: '60' })).toThrow(expect.objectContaining({ field: 'second' }));
    expect(() => parseCalendarSpec({ minute: '-1' })).toThrow(expect.objectContaining({ field: 'minute' }));
  });
});
