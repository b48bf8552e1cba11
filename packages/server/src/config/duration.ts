const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses '90s', '30m', '24h', '7d' (or a number of seconds) into seconds; undefined if invalid. */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
