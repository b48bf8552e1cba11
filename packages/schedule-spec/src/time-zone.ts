import { IANAZone } from 'luxon';

/**
 * The zone calendars are evaluated in: UTC offsets come from luxon's IANAZone (the IANA database
 * shipped with Node's ICU), never from hand-written tables.
 */
export interface TimeZone {
  readonly name: string;
  /** Offset from UTC in milliseconds at the UTC instant `ms`. */
  offsetMs(ms: number): number;
}

const UTC: TimeZone = { name: 'UTC', offsetMs: () => 0 };

const cache = new Map<string, TimeZone | undefined>();

const BUCKET_MS = 15 * 60_000;
const MAX_BUCKETS = 100_000;

/**
 * Luxon asks Intl for every offset, which is slow for the second-by-second walks calendars do.
 * Offsets are cached per 15-minute bucket, and only for buckets whose first and last millisecond
 * have the same offset; a bucket holding a transition is always asked exactly.
 */
function cachedZone(name: string, zone: IANAZone): TimeZone {
  const buckets = new Map<number, number>();
  return {
    name,
    offsetMs(ms) {
      const bucket = Math.floor(ms / BUCKET_MS);
      const cached = buckets.get(bucket);
      if (cached !== undefined) return cached;
      const first = zone.offset(bucket * BUCKET_MS) * 60_000;
      const last = zone.offset((bucket + 1) * BUCKET_MS - 1) * 60_000;
      if (first !== last) return zone.offset(ms) * 60_000;
      if (buckets.size >= MAX_BUCKETS) buckets.clear();
      buckets.set(bucket, first);
      return first;
    },
  };
}

/** Loads an IANA zone by name ('' and 'UTC' are UTC), or undefined when the name is unknown. */
export function loadTimeZone(name: string): TimeZone | undefined {
  if (name === '' || name === 'UTC') return UTC;
  if (cache.has(name)) return cache.get(name);
  let tz: TimeZone | undefined;
  if (IANAZone.isValidZone(name)) {
    tz = cachedZone(name, IANAZone.create(name));
  }
  cache.set(name, tz);
  return tz;
}

/** Wall-clock fields of the UTC instant `ms` in `tz`. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

export function wallClock(ms: number, tz: TimeZone): WallClock {
  const d = new Date(ms + tz.offsetMs(ms));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

const DAY_MS = 86_400_000;

/**
 * The UTC instant of a local wall time in `tz`, like Go's time.Date but choosing the **earlier**
 * instant of a repeated (fall-back) wall time in every zone. A wall time that does not exist
 * (spring-forward gap) maps to an instant whose wall clock shows a different hour, which callers
 * detect. Fields may overflow (hour 24 = next day), as with Date.UTC.
 */
export function localToInstant(
  tz: TimeZone,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  if (tz === UTC) return local;
  const before = tz.offsetMs(local - DAY_MS);
  const at = tz.offsetMs(local);
  const after = tz.offsetMs(local + DAY_MS);
  let best: number | undefined;
  for (const off of new Set([before, at, after])) {
    const instant = local - off;
    if (tz.offsetMs(instant) === off && (best === undefined || instant < best)) best = instant;
  }
  // In a gap: read the wall time with the offset in force before the transition (shows a later hour).
  return best ?? local - before;
}
