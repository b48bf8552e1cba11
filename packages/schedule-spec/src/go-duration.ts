/**
 * Go's `time.ParseDuration` syntax plus the `d` (24h) unit, as Temporal's `timestamp.ParseDuration`
 * accepts it for `@every` cron strings: an optional sign, then one or more `<decimal><unit>` terms
 * (units ns, us, µs, μs, ms, s, m, h, d), or a bare `0`. Returns milliseconds (sub-millisecond parts
 * are kept as fractions), or undefined when the string is not a duration.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const TERM = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/;

export function parseGoDuration(input: string): number | undefined {
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  while (s.length > 0) {
    const m = TERM.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2]!] ?? Number.NaN);
    s = s.slice(m[0].length);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}
