/**
 * Any decoded state as plain JSON, for people to read (the inspector): bytes as base64,
 * dates as ISO strings, bigints and protobufjs Longs as decimal strings, Maps as objects, Sets
 * as arrays. Codecs are the packages' own, so nothing about the value's shape is assumed.
 */
export type InspectedJson = null | boolean | number | string | InspectedJson[] | { [key: string]: InspectedJson };

/** Bytes above this are cut (with `$length` saying how many there were): a page is not a dump. */
const MAX_BYTES = 64 * 1024;
const MAX_DEPTH = 64;

export function toInspectableJson(value: unknown): InspectedJson {
  return convert(value, 0, new Set());
}

function convert(value: unknown, depth: number, seen: Set<object>): InspectedJson {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      // JSON has no NaN or Infinity: say what it was.
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return `[${typeof value}]`;
    default:
      break;
  }
  const o = value as object;
  if (o instanceof Uint8Array) {
    const cut = o.length > MAX_BYTES;
    const b64 = Buffer.from(o.buffer, o.byteOffset, cut ? MAX_BYTES : o.length).toString('base64');
    return cut ? { $bytes: b64, $length: o.length } : { $bytes: b64 };
  }
  if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString();
  if (isLong(o)) return String(o);
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(o)) return '[cycle]';
  seen.add(o);
  try {
    if (Array.isArray(o)) return o.map((v) => convert(v, depth + 1, seen));
    if (o instanceof Set) return [...o].map((v) => convert(v, depth + 1, seen));
    const out: { [key: string]: InspectedJson } = {};
    if (o instanceof Map) {
      for (const [k, v] of o) out[typeof k === 'string' ? k : JSON.stringify(convert(k, depth + 1, seen))] = convert(v, depth + 1, seen);
      return out;
    }
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = convert(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(o);
  }
}

/** A protobufjs `Long` (int64 fields decoded without BigInt). */
function isLong(o: object): boolean {
  const l = o as { low?: unknown; high?: unknown; unsigned?: unknown };
  return typeof l.low === 'number' && typeof l.high === 'number' && typeof l.unsigned === 'boolean';
}
