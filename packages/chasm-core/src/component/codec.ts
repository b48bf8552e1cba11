/** Turns a value into bytes and back. Node data is stored as bytes; equality of bytes is dirtiness. */
export interface Codec<T> {
  /** Persisted with data nodes; renaming a codec is a migration. */
  readonly name: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const decoder = new TextDecoder();

/**
 * JSON with two extensions so typical state round-trips: Uint8Array (payload bytes) and Date.
 * Key order is the object's insertion order, which is stable for state built by the same code,
 * so byte comparison is a sound (if conservative) dirtiness check.
 */
export function jsonCodec<T>(name = 'json'): Codec<T> {
  return {
    name,
    // Buffer.from, not TextEncoder.encode: the same UTF-8 bytes in ~60 % of the time on Node 20
    // for a workflow's ~1.5 KB state, encoded at every commit for the dirtiness check (issue 16).
    encode: (value) => Buffer.from(needsReplacer(value, 0) ? JSON.stringify(value, replacer) : JSON.stringify(value), 'utf8'),
    decode: (bytes) => parseJson(decoder.decode(bytes)) as T,
  };
}

/**
 * JSON.parse with the reviver only when the text may hold a tagged value. A reviver is called
 * for every value of the document, which made parsing a workflow's ~1.1 KB state about twice as
 * slow, and a task payload three times (issue 16, ADR 0058). The text always comes from
 * `encode`, i.e. JSON.stringify, which writes `$` literally (never `\u0024`): a text without
 * `"$` has no `$b` or `$d` key, so the reviver would hand every value back unchanged.
 */
function parseJson(text: string): unknown {
  return text.includes('"$') ? JSON.parse(text, reviver) : JSON.parse(text);
}

/**
 * Whether `value` holds anything the replacer changes (bytes, a Date) or may change (an object
 * with its own `toJSON`, whose result the replacer would see). A replacer function takes
 * JSON.stringify off V8's fast path for the whole value, which made it ~1.9× slower on a
 * workflow's ~1.5 KB root state, re-encoded at each commit for the dirtiness check (issue 16);
 * most states hold neither, and this walk costs a tenth of what it saves. Deep values (and
 * cycles) answer true: JSON.stringify with the replacer then gives its own result or error.
 */
function needsReplacer(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > 64 || value instanceof Uint8Array || value instanceof Date) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsReplacer(value[i], depth + 1)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  for (const k in value) if (needsReplacer((value as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) return { $b: Buffer.from(raw).toString('base64') };
  if (raw instanceof Date) return { $d: raw.toISOString() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o['$b'] === 'string' && Object.keys(o).length === 1) return new Uint8Array(Buffer.from(o['$b'], 'base64'));
    if (typeof o['$d'] === 'string' && Object.keys(o).length === 1) return new Date(o['$d']);
  }
  return value;
}
