import { stdSerializers } from 'pino';

/** Properties database drivers put on errors that hold the statement's bound values. */
const PARAMETER_KEYS = new Set(['params', 'parameters', 'values', 'bindings']);
/** Longer strings are cut: no log line may carry a payload that slipped into a message. */
const MAX_STRING = 1_000;

/**
 * Fields of a Postgres error (pg and PGlite) that quote the statement or its values: `detail`
 * (`Failing row contains (…)`, `Key (id)=(…) already exists`), `where` (`JSON data, line 1: …`,
 * `unnamed portal parameter $1 = '…'`), the SQL text, positions in it. Dropped whole: the
 * SQLSTATE, constraint, table and column say what went wrong without them.
 */
const DB_VALUE_KEYS = ['detail', 'where', 'hint', 'internalQuery', 'query', 'position', 'internalPosition'] as const;

/**
 * pino's error serializer, minus what must never reach a log: SQL parameters (PGlite puts the
 * bound values on its errors as `params`; they are user payloads, memos and ids), the values
 * Postgres quotes in its messages (`invalid input syntax for type integer: "…"`, `where:
 * unnamed portal parameter $1 = '…'`), and very long strings. Applied to every `err` logged.
 */
export function serializeError(err: unknown): unknown {
  const out = scrub(stdSerializers.err(err as Error), 0);
  if (typeof out !== 'object' || out === null || !fromDatabase(err)) return out;
  // The message and stack include those of the causes (pino joins them), so a wrapped database
  // error is scrubbed like a bare one.
  const o = out as Record<string, unknown>;
  for (const k of DB_VALUE_KEYS) delete o[k];
  for (const k of ['message', 'stack'] as const) if (typeof o[k] === 'string') o[k] = redactQuoted(o[k]);
  return o;
}

/** The error, or one of its causes, came from the database driver. */
function fromDatabase(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isDatabaseError(e)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A Postgres error (a severity and a five-character SQLSTATE), or PGlite's (it adds the SQL). */
function isDatabaseError(err: unknown): boolean {
  const e = err as { severity?: unknown; code?: unknown; query?: unknown } | null;
  if (typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return true;
  return typeof e?.query === 'string' && 'params' in (e as object);
}

/** Quoted text in a Postgres message is data (or an identifier): neither belongs in a log. */
function redactQuoted(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/'(?:[^'\\]|\\.)*'/g, "'…'");
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} chars)` : value;
  if (typeof value !== 'object' || value === null || depth > 4) return value;
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = PARAMETER_KEYS.has(k) ? '[redacted]' : scrub(v, depth + 1);
  }
  return out;
}
