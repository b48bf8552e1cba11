/** Turns a value into bytes and back. Node data is stored as bytes; equality of bytes is dirtiness. */
export interface Codec<T> {
  /** Persisted with data nodes; renaming a codec is a migration. */
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * JSON with two extensions so typical state round-trips: Uint8Array (payload bytes) and Date.
 * Key order is the object's insertion order, which is stable for state built by the same code,
 * so byte comparison is a sound (if conservative) dirtiness check.
 *
 * Encoding tags bytes and dates in a pre-pass (`tagged`) and then calls `JSON.stringify` without
 * a replacer: a replacer function takes V8's serializer off its fast path and costs a call per
 * key, and every commit encodes every hydrated component to detect changes (issue 16, ADR 0039).
 * The output is byte for byte what the former replacer produced, so stored state compares equal.
 */
export function jsonCodec<T>(name = 'json'): Codec<T> {
  return {
    name,
    encode: (value) => encoder.encode(JSON.stringify(tagged(value, ''))),
    decode: (bytes) => JSON.parse(decoder.decode(bytes), reviver) as T,
  };
}

/**
 * `v` with every Uint8Array replaced by `{$b: base64}` and every Date by `{$d: iso}`, copying only
 * the objects and arrays on the way to one; `v` itself when it holds none (the common case for
 * most fields). Other `toJSON` objects are resolved here as `JSON.stringify` would, so a byte
 * array they return is tagged too. Cycles overflow the stack (JSON.stringify throws on them too).
 */
function tagged(v: unknown, key: string): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return { $b: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (v instanceof Date) return { $d: v.toISOString() };
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return tagged((toJSON as (k: string) => unknown).call(v, key), key);
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === null || typeof x !== 'object') continue;
      const t = tagged(x, String(i));
      if (t !== x) (out ??= v.slice())[i] = t;
    }
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === null || typeof x !== 'object') continue;
    const t = tagged(x, k);
    if (t !== x) (out ??= { ...o })[k] = t;
  }
  return out ?? v;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o['$b'] === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o['$b'], 'base64'));
    if (typeof o['$d'] === 'string' && Object.keys(o).length === 1) return new Date(o['$d']);
  }
  return value;
}
