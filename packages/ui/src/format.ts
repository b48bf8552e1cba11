/** Shared display helpers: enum names, times, durations and payloads. */
import type { Json } from './api';

/** `WORKFLOW_EXECUTION_STATUS_RUNNING` → `Running`; `EVENT_TYPE_TIMER_FIRED` → `TimerFired`. */
export function enumName(value: unknown, prefix: string): string {
  if (typeof value !== 'string') return value === undefined ? '' : String(value);
  const rest = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return rest
    .toLowerCase()
    .split('_')
    .map((w) => (w === '' ? '' : w[0]!.toUpperCase() + w.slice(1)))
    .join('');
}

export const workflowStatus = (s: unknown): string => enumName(s, 'WORKFLOW_EXECUTION_STATUS_') || 'Unspecified';
export const eventType = (s: unknown): string => enumName(s, 'EVENT_TYPE_');

export function time(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace('T', ' ').replace('Z', '');
}

/** "in 4m 59s" / "3s ago": for deadlines of pending tasks. */
export function relative(value: string | null | undefined, now = Date.now()): string {
  if (!value) return 'immediate';
  const ms = new Date(value).getTime() - now;
  const text = duration(Math.abs(ms));
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  const parts: string[] = [];
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s % 60 || parts.length === 0) parts.push(`${s % 60}s`);
  return parts.slice(0, 2).join(' ');
}

/**
 * A payload as the HTTP API sends it: already a JSON value when it was JSON (shorthand), else
 * `{metadata, data}` with base64 fields: show the encoding and, when printable, the text.
 */
export function payloadText(p: Json): string {
  if (p && typeof p === 'object' && !Array.isArray(p) && p.metadata && typeof p.metadata === 'object') {
    const enc = p.metadata.encoding ? safeAtob(p.metadata.encoding) : '?';
    const data = typeof p.data === 'string' ? safeAtob(p.data) : '';
    const printable = /^[\x20-\x7e\s]*$/.test(data);
    return `(${enc}) ${printable ? data : `${p.data?.length ?? 0} base64 chars`}`;
  }
  return JSON.stringify(p, null, 2);
}

/** A Payloads field: an array in shorthand, or `{payloads: [...]}`. */
export function payloadList(v: Json): Json[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  if (Array.isArray(v.payloads)) return v.payloads;
  return [v];
}

function safeAtob(s: string): string {
  try {
    return atob(s);
  } catch {
    return s;
  }
}

/** The attributes object of a history event (its one `…EventAttributes` field). */
export function attributesOf(e: Json): Json {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes'));
  return key ? e[key] : {};
}
