import { InvalidArgumentError } from '@chasm/core';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { compileSpec } from './compiled-spec.js';
import { matchingTimes } from './matching-times.js';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(Date.UTC(y, mo - 1, d, h, mi, s));
const dur = (seconds: number) => ({ seconds, nanos: 0 });

describe('matchingTimes (ListScheduleMatchingTimes)', () => {
  it('excludes the start and includes the end', () => {
    const spec = compileSpec({ interval: [{ interval: dur(3600) }] });
    expect(matchingTimes(spec, utc(2022, 1, 1, 0), utc(2022, 1, 1, 3)).map((d) => d.toISOString())).toEqual([
      '2022-01-01T01:00:00.000Z',
      '2022-01-01T02:00:00.000Z',
      '2022-01-01T03:00:00.000Z',
    ]);
  });

  it('answers actual (jittered) times, seeded per schedule', () => {
    const spec = compileSpec({ interval: [{ interval: dur(86_400) }], jitter: dur(3600) });
    expect(matchingTimes(spec, utc(2022, 3, 23, 11), utc(2022, 3, 25), 'seed-1')[0]?.toISOString()).toBe('2022-03-24T00:06:12.519Z');
  });

  it('stops at 1000 times', () => {
    const spec = compileSpec({ interval: [{ interval: dur(1) }] });
    const times = matchingTimes(spec, utc(2022, 1, 1), utc(2022, 1, 2));
    expect(times).toHaveLength(1000);
    expect(times[999]?.toISOString()).toBe('2022-01-01T00:16:40.000Z');
  });

  it('is empty when nothing matches, and ends at end_time', () => {
    expect(matchingTimes(compileSpec({}), utc(2022, 1, 1), utc(2023, 1, 1))).toEqual([]);
    const spec = compileSpec({ cronString: ['@daily'], endTime: { seconds: Date.UTC(2022, 0, 3) / 1000 } });
    expect(matchingTimes(spec, utc(2022, 1, 1), utc(2023, 1, 1))).toHaveLength(2);
  });

  it('requires start and end', () => {
    const spec = compileSpec({ cronString: ['@daily'] });
    expect(() => matchingTimes(spec, undefined, utc(2022, 1, 1))).toThrow(InvalidArgumentError);
    expect(() => matchingTimes(spec, utc(2022, 1, 1), undefined)).toThrow('missing or invalid query');
  });

  it('gives Temporal\'s error when the exclusions exhaust the search', () => {
    const spec = compileSpec(
      { interval: [{ interval: dur(60) }], excludeCalendar: [{ second: '*', minute: '*', hour: '*' }] },
      { maxIterations: 500 },
    );
    expect(() => matchingTimes(spec, utc(2022, 1, 1), utc(2022, 2, 1))).toThrow(
      'the schedule calendar specification has too many exclusions. Please modify the specification.',
    );
  });

  it('takes a spec as protobufjs decodes it off the wire (Long seconds)', () => {
    const { ScheduleSpec } = temporal.api.schedule.v1;
    const wire = ScheduleSpec.encode(ScheduleSpec.fromObject({
      cronString: ['CRON_TZ=America/New_York 30 1 * * *'],
      interval: [{ interval: { seconds: 7200 }, phase: { seconds: 60 } }],
      startTime: { seconds: Date.UTC(2024, 10, 3) / 1000 },
      jitter: { seconds: 0 },
    })).finish();
    const decoded: temporal.api.schedule.v1.IScheduleSpec = temporal.api.schedule.v1.ScheduleSpec.decode(wire);
    const spec = compileSpec(decoded);
    const times = matchingTimes(spec, utc(2024, 11, 3, 4), utc(2024, 11, 3, 8)).map((d) => d.toISOString());
    // 01:30 EDT and 01:30 EST (America/New_York fall-back) among the two-hourly interval times.
    expect(times).toEqual(['2024-11-03T04:01:00.000Z', '2024-11-03T05:30:00.000Z', '2024-11-03T06:01:00.000Z', '2024-11-03T06:30:00.000Z']);
  });
});
