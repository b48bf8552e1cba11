import { createHash } from 'node:crypto';

/**
 * UUIDv5 (RFC 9562 §5.5) of `name` in the nil namespace, as Temporal derives request ids:
 * SHA-1 of the namespace's 16 zero bytes then the name's UTF-8, cut to 16 bytes, with the
 * version and variant bits set. Here rather than the `uuid` package, whose import loaded ~21
 * modules at every server start for this one function (ADR 0054); a test checks it against it.
 */
export function uuidV5InNilNamespace(name: string): string {
  const b = createHash('sha1').update(Buffer.alloc(16)).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Go's %q for the strings Temporal formats (ids: printable, quoted and escaped like JSON). */
const quote = (s: string): string => JSON.stringify(s);

/**
 * The request id of a start (reference A.7): deterministic, so a start retried after a crash is
 * deduplicated by the workflow service instead of starting a second workflow.
 */
export function startRequestId(
  namespaceId: string,
  scheduleId: string,
  conflictToken: number,
  nominalMs: number,
  actualMs: number,
  backfillId: string | null,
): string {
  const name = `${quote(namespaceId)}-${quote(scheduleId)}-${conflictToken}-${nominalMs}-${actualMs}`;
  return `sched-${backfillId ?? 'auto'}-${uuidV5InNilNamespace(name)}`;
}

/** `<id>-<nominal time, seconds, UTC RFC 3339>`, e.g. `wf-2024-05-01T10:00:00Z` (unless kept original). */
export function scheduledWorkflowId(actionWorkflowId: string, nominalMs: number, keepOriginal: boolean): string {
  if (keepOriginal) return actionWorkflowId;
  return `${actionWorkflowId}-${rfc3339Seconds(nominalMs)}`;
}

export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The identity the scheduler starts workflows with. */
export const schedulerIdentity = (namespace: string, scheduleId: string): string => `temporal-scheduler-${namespace}-${scheduleId}`;
