import { encodeScheduleSpec } from '@temporalio/client/lib/schedule-helpers.js';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { compileSpec } from './compiled-spec.js';
import { matchingTimes } from './matching-times.js';

/** Encodes as @temporalio/client 1.24 does, then goes over the wire and back as the server decodes it. */
function fromSdk(spec: Parameters<typeof encodeScheduleSpec>[0]): temporal.api.schedule.v1.IScheduleSpec {
  const { ScheduleSpec } = temporal.api.schedule.v1;
  return ScheduleSpec.decode(ScheduleSpec.encode(ScheduleSpec.fromObject(encodeScheduleSpec(spec))).finish());
}

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('specs as @temporalio/client sends them', () => {
  it('calendars with names, skip calendars and a time zone', () => {
    const spec = compileSpec(
      fromSdk({
        calendars: [{ hour: 9, minute: 30, dayOfWeek: ['MONDAY', 'FRIDAY'] }],
        skip: [{ month: 'DECEMBER', dayOfMonth: 26, hour: 9, minute: 30 }],
        timezone: 'America/New_York',
      }),
    );
    expect(iso(matchingTimes(spec, new Date('2022-12-20T00:00:00Z'), new Date('2023-01-03T00:00:00Z')))).toEqual([
      '2022-12-23T14:30:00.000Z', // Friday; Monday the 26th is skipped
      '2022-12-30T14:30:00.000Z',
      '2023-01-02T14:30:00.000Z',
    ]);
  });

  it('intervals with offset, cron expressions, start/end and jitter', () => {
    const spec = compileSpec(
      fromSdk({
        intervals: [{ every: '1 hour', offset: '5 minutes' }],
        cronExpressions: ['0 12 * * *'],
        startAt: new Date('2022-03-23T11:05:00Z'),
        endAt: new Date('2022-03-23T14:00:00Z'),
      }),
    );
    expect(iso(matchingTimes(spec, new Date('2022-03-23T00:00:00Z'), new Date('2022-03-24T00:00:00Z')))).toEqual([
      '2022-03-23T11:05:00.000Z',
      '2022-03-23T12:00:00.000Z',
      '2022-03-23T12:05:00.000Z',
      '2022-03-23T13:05:00.000Z',
    ]);
    const jittered = compileSpec(fromSdk({ intervals: [{ every: '1 day' }], jitter: '1 hour' }));
    expect(jittered.next(new Date('2022-03-23T11:00:00Z'), 'seed-2')?.actual.toISOString()).toBe('2022-03-24T00:39:16.922Z');
  });

  it('a year list and "every year" (no ranges)', () => {
    const once = compileSpec(fromSdk({ calendars: [{ year: 2030, month: 'JULY', dayOfMonth: 4 }] }));
    expect(once.next(new Date('2022-01-01T00:00:00Z'))?.nominal.toISOString()).toBe('2030-07-04T00:00:00.000Z');
    expect(once.next(new Date('2030-07-04T00:00:00Z'))).toBeUndefined();
    const yearly = compileSpec(fromSdk({ calendars: [{ month: 'JULY', dayOfMonth: 4 }] }));
    expect(yearly.next(new Date('2030-07-04T00:00:00Z'))?.nominal.toISOString()).toBe('2031-07-04T00:00:00.000Z');
  });
});
