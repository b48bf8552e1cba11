import { CompiledCalendar } from './compiled-calendar.js';
import { parseGoDuration } from './go-duration.js';
import type { Range } from './range.js';
import type { StructuredCalendar } from './structured-calendar.js';
import { loadTimeZone, type TimeZone } from './time-zone.js';

/**
 * A workflow's `cron_schedule`, parsed the way Temporal parses it: robfig/cron v3 `ParseStandard`
 * (`common/backoff/cron.go`). That is a different grammar from a Schedule's cron strings
 * (`parseCronString`): exactly 5 fields, no seconds or years, no `#` comments, `@every` measured
 * from the given time rather than aligned to the epoch, and day-of-month OR day-of-week when both
 * are restricted (classic cron), where Schedules AND them.
 */
export interface WorkflowCronSchedule {
  /** The first time strictly after `afterMs` (whole seconds), or undefined when none is left. */
  next(afterMs: number): number | undefined;
}

/** A `cron_schedule` robfig's ParseStandard refuses; the message says why. */
export class WorkflowCronSyntaxError extends Error {}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Bounds {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** The value of names[0]. */
  readonly namesFrom?: number;
}

const FIELDS: readonly Bounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 6, names: DAYS, namesFrom: 0 },
];

interface ParsedField {
  ranges: Range[];
  /** robfig's star bit: the field was `*` or `?` (alone or in a list), without a step above 1. */
  star: boolean;
}

function value(text: string, b: Bounds): number {
  const i = b.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i >= 0) return i + (b.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) throw new WorkflowCronSyntaxError(`failed to parse int from ${text}`);
  return Number(text);
}

/** One comma-separated part: `*`, `?`, `a`, `a-b`, each with an optional `/step` (robfig getRange). */
function part(expr: string, b: Bounds): ParsedField {
  const [rangeText = '', stepText, ...extra] = expr.split('/');
  if (extra.length > 0) throw new WorkflowCronSyntaxError(`too many slashes: ${expr}`);
  const [lowText = '', highText, ...more] = rangeText.split('-');
  if (more.length > 0) throw new WorkflowCronSyntaxError(`too many hyphens: ${expr}`);
  let start: number;
  let end: number;
  let star = false;
  if (lowText === '*' || lowText === '?') {
    if (highText !== undefined) throw new WorkflowCronSyntaxError(`too many hyphens: ${expr}`);
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = value(lowText, b);
    end = highText === undefined ? start : value(highText, b);
  }
  let step = 1;
  if (stepText !== undefined) {
    step = value(stepText, { name: b.name, min: 0, max: 0 });
    // "N/step" means "N-max/step".
    if (highText === undefined && !star) end = b.max;
    if (step > 1) star = false;
  }
  if (start < b.min) throw new WorkflowCronSyntaxError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new WorkflowCronSyntaxError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new WorkflowCronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new WorkflowCronSyntaxError(`step of range should be a positive number: ${expr}`);
  return { ranges: [{ start, end, step }], star };
}

function field(text: string, b: Bounds): ParsedField {
  const parts = text.split(',').map((p) => part(p, b));
  return { ranges: parts.flatMap((p) => p.ranges), star: parts.some((p) => p.star) };
}

function calendar(f: ParsedField[], dom: Range[], dow: Range[]): StructuredCalendar {
  return {
    second: [{ start: 0, end: 0, step: 1 }],
    minute: f[0]!.ranges,
    hour: f[1]!.ranges,
    dayOfMonth: dom,
    month: f[3]!.ranges,
    dayOfWeek: dow,
    year: [],
    comment: '',
  };
}

function everySchedule(text: string): WorkflowCronSchedule {
  // Go's time.ParseDuration: no `d` unit (Temporal's schedule strings accept one; this parser does not).
  const ms = /d/.test(text) ? undefined : parseGoDuration(text);
  if (ms === undefined) throw new WorkflowCronSyntaxError(`failed to parse duration @every ${text}`);
  // robfig Every: at least a second, truncated to whole seconds; Next drops the sub-second part.
  const delayMs = Math.max(1000, ms) - (Math.max(1000, ms) % 1000);
  return { next: (afterMs) => afterMs - (((afterMs % 1000) + 1000) % 1000) + delayMs };
}

/** Parses a workflow `cron_schedule` as robfig/cron v3 `ParseStandard`; throws WorkflowCronSyntaxError. */
export function parseWorkflowCron(spec: string): WorkflowCronSchedule {
  let s = spec.trim();
  if (s === '') throw new WorkflowCronSyntaxError('empty spec string');
  let tz: TimeZone | undefined = loadTimeZone('UTC');
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const space = s.indexOf(' ');
    const name = s.slice(s.indexOf('=') + 1, space < 0 ? s.length : space);
    tz = loadTimeZone(name);
    if (!tz) throw new WorkflowCronSyntaxError(`provided bad location ${name}`);
    s = space < 0 ? '' : s.slice(space).trim();
  }
  if (s.startsWith('@every ')) return everySchedule(s.slice('@every '.length).trim());
  if (s.startsWith('@')) {
    const d = DESCRIPTORS[s];
    if (d === undefined) throw new WorkflowCronSyntaxError(`unrecognized descriptor: ${s}`);
    s = d;
  }
  const texts = s.split(/\s+/).filter((t) => t !== '');
  if (texts.length !== FIELDS.length) {
    throw new WorkflowCronSyntaxError(`expected exactly ${FIELDS.length} fields, found ${texts.length}: ${spec}`);
  }
  const f = texts.map((t, i) => field(t, FIELDS[i]!));
  const zone = tz!;
  const dom = f[2]!;
  const dow = f[4]!;
  if (dom.star || dow.star) {
    const c = new CompiledCalendar(calendar(f, dom.ranges, dow.ranges), zone);
    return { next: (afterMs) => c.next(afterMs) };
  }
  // Both restricted: a day matches when either field does (robfig dayMatches).
  const all = (b: Bounds): Range[] => [{ start: b.min, end: b.max, step: 1 }];
  const byDom = new CompiledCalendar(calendar(f, dom.ranges, all(FIELDS[4]!)), zone);
  const byDow = new CompiledCalendar(calendar(f, all(FIELDS[2]!), dow.ranges), zone);
  return {
    next(afterMs) {
      const a = byDom.next(afterMs);
      const b = byDow.next(afterMs);
      if (a === undefined) return b;
      if (b === undefined) return a;
      return Math.min(a, b);
    },
  };
}

/** Whether `spec` is a valid workflow cron schedule (Temporal's backoff.ValidateSchedule). */
export function workflowCronProblem(spec: string): string | undefined {
  try {
    parseWorkflowCron(spec);
    return undefined;
  } catch (e) {
    if (e instanceof WorkflowCronSyntaxError) return e.message;
    throw e;
  }
}

/**
 * Temporal's backoff.GetBackoffForNextSchedule: the delay from `nowMs` to the first schedule time
 * after `scheduledMs` (the closing run's execution time) that is not before `nowMs`, rounded up to
 * a whole second. Undefined when the schedule has no time left (the chain ends).
 */
export function workflowCronBackoffMs(schedule: WorkflowCronSchedule, scheduledMs: number, nowMs: number): number | undefined {
  let next: number | undefined = scheduledMs;
  if (nowMs >= scheduledMs) {
    next = schedule.next(scheduledMs);
    while (next !== undefined && next < nowMs) next = schedule.next(next);
  }
  if (next === undefined) return undefined;
  return Math.ceil((next - nowMs) / 1000) * 1000;
}
