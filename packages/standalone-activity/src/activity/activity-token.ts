import { InvalidArgumentError, decodeRef, encodeRef, type ComponentRef } from '@chasm/core';
import { Activity } from './activity.js';

/**
 * The task token handed to the worker: the activity's root ref plus the attempt and its stamp.
 * Attempt 0 means "by id" (no particular attempt), as in Temporal's frontend.
 */
export interface ActivityTaskToken {
  readonly ref: ComponentRef;
  readonly attempt: number;
  readonly stamp: number;
}

const TOKEN_TAG = 'sa1';

export function encodeTaskToken(t: ActivityTaskToken): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([TOKEN_TAG, Buffer.from(encodeRef(t.ref)).toString('base64'), t.attempt, t.stamp]));
}

/** True when the bytes look like one of our tokens (a shared router can dispatch on it). */
export function isStandaloneActivityToken(bytes: Uint8Array | null | undefined): boolean {
  const prefix = `["${TOKEN_TAG}",`;
  if (!bytes || bytes.length < prefix.length) return false;
  return new TextDecoder().decode(bytes.subarray(0, prefix.length)) === prefix;
}

/** Decodes and checks the shape; garbage is INVALID_ARGUMENT, never an engine call. */
export function decodeTaskToken(bytes: Uint8Array | null | undefined): ActivityTaskToken {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError('task_token', 'task token is required');
  let arr: unknown;
  try {
    arr = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InvalidArgumentError('task_token', 'task token is malformed');
  }
  if (!Array.isArray(arr) || arr.length !== 4 || arr[0] !== TOKEN_TAG || typeof arr[1] !== 'string' || !Number.isInteger(arr[2]) || !Number.isInteger(arr[3])) {
    throw new InvalidArgumentError('task_token', 'task token is malformed');
  }
  const ref = decodeRef(Buffer.from(arr[1] as string, 'base64'), 'task_token');
  // A ref to another archetype or to a child would address something that is not an activity.
  if (ref.archetype !== Activity.name || ref.path !== '' || ref.taskId !== undefined) {
    throw new InvalidArgumentError('task_token', 'task token is malformed');
  }
  return { ref, attempt: arr[2] as number, stamp: arr[3] as number };
}
