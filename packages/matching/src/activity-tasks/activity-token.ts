import { decodeRef, encodeRef, InvalidArgumentError, withFields, type ComponentRef } from '@chasm/core';
import { decodeTemporalTaskToken, encodeTemporalTaskToken, type TemporalTaskToken } from './temporal-task-token.js';

/**
 * What an activity task token (and the matching payload of an activity task) names: the
 * activity's component ref, whose archetype names the feature that owns it, and the attempt.
 * The activity-task router decodes tokens and payloads into this and hands them to the feature.
 */
export interface ActivityToken {
  /** The activity's component ref (no task id). */
  readonly ref: ComponentRef;
  /** The attempt the token was issued for; 0 means "by id": whichever attempt is current. */
  readonly attempt: number;
  /** The attempt's stamp, for features that stamp attempts ('stamped' tokens); 0 = not checked. */
  readonly stamp: number;
  /**
   * What Temporal's token carries besides (workflow id, run id, scheduled event id, activity id,
   * types): written into the token for tools that read it; never trusted when decoding ours.
   */
  readonly ids?: ActivityTokenIds;
}

/** The ids Temporal's `token.v1.Task` names an activity by (all optional: proto3 defaults). */
export interface ActivityTokenIds {
  readonly workflowId?: string;
  readonly runId?: string;
  readonly scheduledEventId?: number;
  readonly activityId?: string;
  readonly workflowType?: string;
  readonly activityType?: string;
  readonly startedEventId?: number;
}

/**
 * The two wire forms features issue (both kept as they are: workers hold tokens across restarts
 * and upgrades, and backlogs hold payloads):
 * - 'ref': `encodeRef(ref)` with the attempt in the task-id slot (`attempt:N`). Workflow activities.
 * - 'stamped': a tagged JSON array `["sa1", base64(encodeRef(ref)), attempt, stamp]` as the token,
 *   and `{ v: 1, k: archetype, ref: base64(encodeRef(ref)), stamp, attempt }` as the matching
 *   payload. Standalone activities (hence the tag).
 * A handler declares the form of its tokens; a token of the other form is malformed for it.
 */
export type ActivityTokenForm = 'ref' | 'stamped';

const STAMPED_TAG = 'sa1';
const STAMPED_PAYLOAD_VERSION = 1;
const ATTEMPT_MARKER = /^attempt:(\d+)$/;

const enc = new TextEncoder();
const dec = new TextDecoder();
const base64Ref = (ref: ComponentRef): string => Buffer.from(encodeRef(ref)).toString('base64');

/** The task-id slot of a 'ref' token or payload: which attempt it names. */
export const attemptMarker = (attempt: number): string => `attempt:${attempt}`;

function withoutTaskId(ref: ComponentRef): ComponentRef {
  const { taskId: _taskId, ...rest } = ref;
  return rest;
}

/** The bytes of a token in one of the two forms (what `component_ref` carries, and what older tokens were). */
function encodeIssued(token: ActivityToken, form: ActivityTokenForm): Uint8Array {
  const ref = withoutTaskId(token.ref);
  if (form === 'ref') return encodeRef(withFields(ref, { taskId: attemptMarker(token.attempt) }));
  return enc.encode(JSON.stringify([STAMPED_TAG, base64Ref(ref), token.attempt, token.stamp]));
}

/**
 * Encodes a task token as Temporal does: a `token.v1.Task` protobuf naming the activity by its
 * ids, with the form's bytes (ref, attempt, stamp) in `component_ref`, the field Temporal itself
 * uses for CHASM refs and tools leave alone. Only `component_ref` is trusted on the way back.
 */
export function encodeActivityToken(token: ActivityToken, form: ActivityTokenForm): Uint8Array {
  const ids = token.ids ?? {};
  const ref = token.ref;
  return encodeTemporalTaskToken({
    namespaceId: ref.namespaceId,
    workflowId: ids.workflowId ?? '',
    runId: ids.runId ?? ref.runId,
    scheduledEventId: ids.scheduledEventId ?? 0,
    attempt: token.attempt,
    activityId: ids.activityId ?? (ids.workflowId ? '' : ref.businessId),
    workflowType: ids.workflowType ?? '',
    activityType: ids.activityType ?? '',
    startedEventId: ids.startedEventId ?? 0,
    componentRef: encodeIssued(token, form),
  });
}

/** True when the bytes start like a 'stamped' token (cheap; decoding still checks the rest). */
function looksStamped(bytes: Uint8Array): boolean {
  const prefix = `["${STAMPED_TAG}",`;
  return bytes.length >= prefix.length && dec.decode(bytes.subarray(0, prefix.length)) === prefix;
}

/**
 * A decoded task token: one we issued (its form's bytes, found in `component_ref` or, for tokens
 * issued before the Temporal encoding, as the whole token), or one a tool built from the ids alone
 * (Temporal's fields, no `component_ref`), which the router resolves like a by-id request.
 */
export type DecodedActivityToken =
  | { readonly kind: 'issued'; readonly token: ActivityToken; readonly form: ActivityTokenForm }
  | { readonly kind: 'ids'; readonly task: TemporalTaskToken };

/**
 * Decodes a task token; bytes that are neither a `token.v1.Task` nor one of the older JSON forms
 * are INVALID_ARGUMENT on `field`, never a handler call.
 */
export function decodeAnyActivityToken(bytes: Uint8Array | null | undefined, field = 'task_token'): DecodedActivityToken {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError(field, `${field} is required`);
  const malformed = (): InvalidArgumentError => new InvalidArgumentError(field, `${field} is malformed`);
  // The older JSON forms start with '[' (0x5b), which no `token.v1.Task` does (field 11, wire type 3).
  if (bytes[0] === 0x5b) return { kind: 'issued', ...decodeIssued(bytes, field) };
  const task = decodeTemporalTaskToken(bytes);
  if (!task) throw malformed();
  if (!task.componentRef) {
    if (!task.workflowId && !task.activityId) throw malformed();
    return { kind: 'ids', task };
  }
  const issued = decodeIssued(task.componentRef, field);
  // The outer ids are informational, but a token whose two namespaces disagree was tampered with.
  if (issued.token.ref.namespaceId !== task.namespaceId) throw malformed();
  return { kind: 'issued', ...issued };
}

/** Decodes a token we issued (either encoding); a token built from ids alone is malformed here. */
export function decodeActivityToken(bytes: Uint8Array | null | undefined, field = 'task_token'): { token: ActivityToken; form: ActivityTokenForm } {
  const d = decodeAnyActivityToken(bytes, field);
  if (d.kind !== 'issued') throw new InvalidArgumentError(field, `${field} is malformed`);
  return { token: d.token, form: d.form };
}

/** The form's bytes: garbage is INVALID_ARGUMENT on `field`. */
function decodeIssued(bytes: Uint8Array, field: string): { token: ActivityToken; form: ActivityTokenForm } {
  const malformed = (): InvalidArgumentError => new InvalidArgumentError(field, `${field} is malformed`);
  if (looksStamped(bytes)) {
    let arr: unknown;
    try {
      arr = JSON.parse(dec.decode(bytes));
    } catch {
      throw malformed();
    }
    if (!Array.isArray(arr) || arr.length !== 4 || arr[0] !== STAMPED_TAG || typeof arr[1] !== 'string' || !Number.isInteger(arr[2]) || !Number.isInteger(arr[3])) {
      throw malformed();
    }
    const ref = decodeRef(Buffer.from(arr[1] as string, 'base64'), field);
    if (ref.taskId !== undefined) throw malformed();
    return { token: { ref, attempt: arr[2] as number, stamp: arr[3] as number }, form: 'stamped' };
  }
  const ref = decodeRef(bytes, field);
  const m = ATTEMPT_MARKER.exec(ref.taskId ?? '');
  if (!m) throw malformed();
  return { token: { ref: withoutTaskId(ref), attempt: Number(m[1]), stamp: 0 }, form: 'ref' };
}

/** Encodes the matching payload of an activity task in the given form. */
export function encodeActivityTaskPayload(task: ActivityToken, form: ActivityTokenForm): Uint8Array {
  // Payloads stay in the older forms: they never leave the server, and backlogs hold them.
  if (form === 'ref') return encodeIssued(task, 'ref');
  const ref = withoutTaskId(task.ref);
  return enc.encode(JSON.stringify({ v: STAMPED_PAYLOAD_VERSION, k: ref.archetype, ref: base64Ref(ref), stamp: task.stamp, attempt: task.attempt }));
}

/** Decodes a matching payload of either form; undefined when it is not one (matching drops the task). */
export function decodeActivityTaskPayload(bytes: Uint8Array): ActivityToken | undefined {
  try {
    const o = JSON.parse(dec.decode(bytes)) as unknown;
    if (Array.isArray(o)) {
      const ref = decodeRef(bytes, 'payload');
      const m = ATTEMPT_MARKER.exec(ref.taskId ?? '');
      return m ? { ref: withoutTaskId(ref), attempt: Number(m[1]), stamp: 0 } : undefined;
    }
    const p = o as { v?: unknown; k?: unknown; ref?: unknown; stamp?: unknown; attempt?: unknown } | null;
    if (p === null || typeof p !== 'object' || p.v !== STAMPED_PAYLOAD_VERSION || typeof p.ref !== 'string') return undefined;
    if (typeof p.stamp !== 'number' || typeof p.attempt !== 'number') return undefined;
    const ref = decodeRef(Buffer.from(p.ref, 'base64'), 'payload');
    return p.k === ref.archetype && ref.taskId === undefined ? { ref, attempt: p.attempt, stamp: p.stamp } : undefined;
  } catch {
    return undefined;
  }
}
