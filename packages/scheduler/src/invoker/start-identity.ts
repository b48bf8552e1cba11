import { v5 as uuidv5 } from 'uuid';

/** The nil UUID: Temporal derives request ids with UUIDv5 in it. */
const NIL_NAMESPACE = '00000000-0000-0000-0000-000000000000';

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
  return `sched-${backfillId ?? 'auto'}-${uuidv5(name, NIL_NAMESPACE)}`;
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
