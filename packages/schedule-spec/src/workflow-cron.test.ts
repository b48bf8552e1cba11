import { describe, expect, it } from 'vitest';
import { parseWorkflowCron, workflowCronBackoffMs, workflowCronProblem } from './workflow-cron.js';

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseWorkflowCron', () => {
  it('reads five fields in UTC', () => {
    const c = parseWorkflowCron('*/15 3 * * *');
    expect(iso(c.next(t('2026-01-01T00:00:00Z')))).toBe('2026-01-01T03:00:00.000Z');
    expect(iso(c.next(t('2026-01-01T03:00:00Z')))).toBe('2026-01-01T03:15:00.000Z');
    expect(iso(c.next(t('2026-01-01T03:45:00Z')))).toBe('2026-01-02T03:00:00.000Z');
  });

  it('reads descriptors, names and ?', () => {
    expect(iso(parseWorkflowCron('@hourly').next(t('2026-01-01T10:20:00Z')))).toBe('2026-01-01T11:00:00.000Z');
    expect(iso(parseWorkflowCron('@daily').next(t('2026-01-01T10:20:00Z')))).toBe('2026-01-02T00:00:00.000Z');
    expect(iso(parseWorkflowCron('@weekly').next(t('2026-01-01T10:20:00Z')))).toBe('2026-01-04T00:00:00.000Z');
    expect(iso(parseWorkflowCron('0 12 ? FEB MON-WED').next(t('2026-01-01T00:00:00Z')))).toBe('2026-02-02T12:00:00.000Z');
  });

  it('matches day of month OR day of week when both are restricted, AND when one is a star', () => {
    // 2026-03-01 is a Sunday; the 13th is a Friday.
    const either = parseWorkflowCron('0 0 13 * 5');
    expect(iso(either.next(t('2026-03-01T00:00:00Z')))).toBe('2026-03-06T00:00:00.000Z');
    expect(iso(either.next(t('2026-03-12T00:00:00Z')))).toBe('2026-03-13T00:00:00.000Z');
    const onlyDow = parseWorkflowCron('0 0 * * 5');
    expect(iso(onlyDow.next(t('2026-03-01T00:00:00Z')))).toBe('2026-03-06T00:00:00.000Z');
  });

  it('honours CRON_TZ= and TZ=', () => {
    const c = parseWorkflowCron('CRON_TZ=America/New_York 0 9 * * *');
    expect(iso(c.next(t('2026-01-01T00:00:00Z')))).toBe('2026-01-01T14:00:00.000Z');
    expect(iso(parseWorkflowCron('TZ=Asia/Tokyo 0 9 * * *').next(t('2026-01-01T00:00:00Z')))).toBe('2026-01-02T00:00:00.000Z');
  });

  it('measures @every from the given time, in whole seconds, at least one second', () => {
    const c = parseWorkflowCron('@every 2s');
    expect(iso(c.next(t('2026-01-01T00:00:00.700Z')))).toBe('2026-01-01T00:00:02.000Z');
    expect(iso(parseWorkflowCron('@every 1m30s').next(t('2026-01-01T00:00:10Z')))).toBe('2026-01-01T00:01:40.000Z');
    expect(iso(parseWorkflowCron('@every 10ms').next(t('2026-01-01T00:00:10Z')))).toBe('2026-01-01T00:00:11.000Z');
  });

  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields'],
    ['0 * * * * *', 'expected exactly 5 fields'],
    ['60 * * * *', 'above maximum'],
    ['* * * * 7', 'above maximum'],
    ['* * 0 * *', 'below minimum'],
    ['5-1 * * * *', 'beyond end of range'],
    ['*/0 * * * *', 'step of range'],
    ['x * * * *', 'failed to parse int'],
    ['@fortnightly', 'unrecognized descriptor'],
    ['@every 1d', 'failed to parse duration'],
    ['@every soon', 'failed to parse duration'],
    ['CRON_TZ=Nowhere/Special * * * * *', 'bad location'],
  ])('refuses %j', (spec, message) => {
    expect(workflowCronProblem(spec)).toContain(message);
  });
});

describe('workflowCronBackoffMs (Temporal GetBackoffForNextSchedule)', () => {
  it('waits for the next time after the scheduled time, rounded up to a second', () => {
    const c = parseWorkflowCron('@every 2s');
    // First run: scheduled = now.
    expect(workflowCronBackoffMs(c, t('2026-01-01T00:00:00.300Z'), t('2026-01-01T00:00:00.300Z'))).toBe(2000);
    // A run scheduled at :02 that closes at :02.4 waits until :04.
    expect(workflowCronBackoffMs(c, t('2026-01-01T00:00:02Z'), t('2026-01-01T00:00:02.400Z'))).toBe(2000);
    // A run that overran two periods skips the missed times.
    expect(workflowCronBackoffMs(c, t('2026-01-01T00:00:02Z'), t('2026-01-01T00:00:07.100Z'))).toBe(1000);
  });

  it('uses calendar times', () => {
    const c = parseWorkflowCron('0 * * * *');
    expect(workflowCronBackoffMs(c, t('2026-01-01T10:00:00Z'), t('2026-01-01T10:59:30Z'))).toBe(30_000);
    expect(workflowCronBackoffMs(c, t('2026-01-01T10:00:00Z'), t('2026-01-01T11:00:00Z'))).toBe(0);
  });

  it('returns the scheduled time itself when it is still ahead', () => {
    const c = parseWorkflowCron('0 * * * *');
    expect(workflowCronBackoffMs(c, t('2026-01-01T11:00:00Z'), t('2026-01-01T10:59:58.5Z'))).toBe(2000);
  });
});
