import { stdSerializers } from 'pino';

/** Properties database drivers put on errors that hold the statement's bound values. */
const PARAMETER_KEYS = new Set(['params', 'parameters', 'values', 'bindings']);
/** Longer strings are cut: no log line may carry a payload that slipped into a message. */
const MAX_STRING = 1_000;

/** Fields of a Postgres error (pg and PGlite) that may quote the values of the statement. */
const DB_TEXT_KEYS = ['message', 'detail', 'where', 'hint', 'internalQuery'] as const;

/**
 * pino's error serializer, minus what must never reach a log: SQL parameters (PGlite puts the
 * bound values on its errors as `params`; they are user payloads, memos and ids), the values
 * Postgres quotes in its messages (`invalid input syntax for type integer: "…"`, `where:
 * unnamed portal parameter $1 = '…'`), and very long strings. Applied to every `err` logged.
 */
export function serializeError(err: unknown): unknown {
  const out = scrub(stdSerializers.err(err as Error), 0) as Record<string, unknown>;
  if (isDatabaseError(err)) {
    for (const k of DB_TEXT_KEYS) if (typeof out[k] === 'string') out[k] = redactQuoted(out[k]);
    if (typeof out['stack'] === 'string') out['stack'] = redactQuoted(out['stack']);
  }
  return out;
}

/** A Postgres error: a severity and a five-character SQLSTATE. */
function isDatabaseError(err: unknown): boolean {
  const e = err as { severity?: unknown; code?: unknown } | null;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
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
