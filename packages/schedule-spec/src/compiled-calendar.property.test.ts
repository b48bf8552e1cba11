import { describe, expect, it } from 'vitest';
import { parseCalendarSpec, type CalendarSpecInput } from './calendar-string.js';
import { CompiledCalendar } from './compiled-calendar.js';
import { loadTimeZone } from './time-zone.js';

/** Small deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// As in Temporal's FuzzCalendar: a mix of zones, some with DST transitions at midnight.
const ZONES = ['UTC', 'US/Pacific', 'America/New_York', 'Europe/Berlin', 'Europe/London', 'America/Asuncion', 'Asia/Beirut', 'Cuba', 'America/Santiago', 'Asia/Kolkata'];

const CHOICES: Record<keyof Omit<CalendarSpecInput, 'comment' | 'year'>, string[]> = {
  second: ['0', '0', '30', '*/20', '15,45'],
  minute: ['0', '30', '*/15', '*', '5-10'],
  hour: ['*', '0', '1', '2', '3', '0-3', '*/2', '23'],
  dayOfMonth: ['*', '*', '1', '13', '29-31', '*/3'],
  month: ['*', '*', 'mar', 'oct-nov', '*/4'],
  dayOfWeek: ['*', '*', 'sun', 'fri', 'mon-wed', 'sat,sun'],
};

describe('CompiledCalendar.next properties (Temporal FuzzCalendar, deterministic)', () => {
  it('every instant between now and next(now) leads to next(now); every instant at or after it leads later', () => {
    const r = rng(20261205);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    for (let round = 0; round < 300; round++) {
      const zoneName = pick(ZONES);
      const spec: CalendarSpecInput = {};
      for (const [k, xs] of Object.entries(CHOICES)) spec[k as keyof typeof CHOICES] = pick(xs);
      const cc = new CompiledCalendar(parseCalendarSpec(spec), loadTimeZone(zoneName)!);
      // Around the DST-heavy months of 2020-2030.
      const now = Date.UTC(2020 + Math.floor(r() * 10), pick([2, 3, 9, 10]), 1 + Math.floor(r() * 28), Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60));
      const next = cc.next(now);
      if (next === undefined) continue;
      const where = `${zoneName} ${JSON.stringify(spec)} from ${new Date(now).toISOString()}`;
      expect(next, where).toBeGreaterThan(now);
      expect(cc.matches(next), where).toBe(true);
      const gap = Math.floor((next - now) / 1000);
      for (let i = 0; i < 30; i++) {
        const t = now + Math.floor(r() * gap) * 1000;
        expect(cc.next(t), `${where}: next(${new Date(t).toISOString()})`).toBe(next);
      }
      for (let t = next; t - next < 5 * 3_600_000; t += 1234_000) {
        const later = cc.next(t);
        if (later !== undefined) expect(later, `${where}: next(${new Date(t).toISOString()})`).toBeGreaterThan(next);
      }
    }
  });

  it('fires exactly at the matching instants of a DST day, none missed (checked second by second)', () => {
    for (const [zoneName, day] of [
      ['America/New_York', Date.UTC(2024, 10, 3)],
      ['America/New_York', Date.UTC(2024, 2, 10)],
      ['Europe/Berlin', Date.UTC(2022, 9, 30)],
      ['Europe/Berlin', Date.UTC(2022, 2, 27)],
      ['America/Asuncion', Date.UTC(2022, 9, 2)],
      ['America/Asuncion', Date.UTC(2022, 2, 27)],
    ] as const) {
      const cc = new CompiledCalendar(parseCalendarSpec({ minute: '*/10', hour: '*' }), loadTimeZone(zoneName)!);
      const expected: number[] = [];
      for (let t = day - 12 * 3_600_000; t < day + 36 * 3_600_000; t += 60_000) if (cc.matches(t)) expected.push(t);
      const got: number[] = [];
      let t = day - 12 * 3_600_000 - 1000;
      for (;;) {
        const n = cc.next(t);
        if (n === undefined || n >= day + 36 * 3_600_000) break;
        got.push(n);
        t = n;
      }
      expect(got.map((x) => new Date(x).toISOString()), zoneName).toEqual(expected.map((x) => new Date(x).toISOString()));
    }
  });
});
