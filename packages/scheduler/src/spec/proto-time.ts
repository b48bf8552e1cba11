/** A decoded google.protobuf.Duration or Timestamp: `seconds` may be a number, a Long or a string. */
export interface ProtoSecondsNanos {
  seconds?: unknown;
  nanos?: number | null;
}

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return Number.NaN;
}

/** Milliseconds of a Duration/Timestamp (sub-millisecond nanos truncated), or undefined when absent. */
export function protoToMs(t: ProtoSecondsNanos | null | undefined): number | undefined {
  if (t === null || t === undefined) return undefined;
  const seconds = toNumber(t.seconds);
  const nanos = t.nanos ?? 0;
  return seconds * 1000 + Math.trunc(nanos / 1e6);
}
