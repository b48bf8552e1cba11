import { InvalidArgumentError } from '@chasm/core';
import { decodeActivityToken, encodeActivityToken, type ActivityToken } from '@chasm/matching';
import { Activity } from './activity.js';

/**
 * The task token handed to the worker: Temporal's `token.v1.Task` (namespace id, activity id, run
 * id, attempt, activity type) whose `component_ref` holds the activity's root ref plus the attempt
 * and its stamp in the activity-task contract's 'stamped' form (see @chasm/matching). Attempt 0 means "by id" (no particular attempt), as in Temporal's frontend.
 */
export type ActivityTaskToken = ActivityToken;

export function encodeTaskToken(t: ActivityTaskToken): Uint8Array {
  return encodeActivityToken(t, 'stamped');
}

/** A token (already decoded by the router) that must address an activity root; INVALID_ARGUMENT otherwise. */
export function checkTaskToken(t: ActivityToken): ActivityTaskToken {
  // A ref to another archetype or to a child would address something that is not an activity.
  if (t.ref.archetype !== Activity.name || t.ref.path !== '' || t.ref.taskId !== undefined) {
    throw new InvalidArgumentError('task_token', 'task token is malformed');
  }
  return t;
}

/** Decodes and checks the shape; garbage is INVALID_ARGUMENT, never an engine call. */
export function decodeTaskToken(bytes: Uint8Array | null | undefined): ActivityTaskToken {
  const { token, form } = decodeActivityToken(bytes, 'task_token');
  if (form !== 'stamped') throw new InvalidArgumentError('task_token', 'task token is malformed');
  return checkTaskToken(token);
}
