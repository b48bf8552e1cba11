import { decodeRef, encodeRef, InvalidArgumentError, type ComponentRef } from '@chasm/core';

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

/** Encodes a task token in the given form. */
export function encodeActivityToken(token: ActivityToken, form: ActivityTokenForm): Uint8Array {
  const ref = withoutTaskId(token.ref);
  if (form === 'ref') return encodeRef({ ...ref, taskId: attemptMarker(token.attempt) });
  return enc.encode(JSON.stringify([STAMPED_TAG, base64Ref(ref), token.attempt, token.stamp]));
}

/** True when the bytes start like a 'stamped' token (cheap; decoding still checks the rest). */
function looksStamped(bytes: Uint8Array): boolean {
  const prefix = `["${STAMPED_TAG}",`;
  return bytes.length >= prefix.length && dec.decode(bytes.subarray(0, prefix.length)) === prefix;
}

/**
 * Decodes a task token of either form; garbage is INVALID_ARGUMENT on `field`, never a handler
 * call. Which feature it belongs to is the ref's archetype; that the form is that feature's is the
 * router's check.
 */
export function decodeActivityToken(bytes: Uint8Array | null | undefined, field = 'task_token'): { token: ActivityToken; form: ActivityTokenForm } {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError(field, `${field} is required`);
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
  if (form === 'ref') return encodeActivityToken(task, 'ref');
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
