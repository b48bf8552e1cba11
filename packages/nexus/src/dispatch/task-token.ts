import { InvalidArgumentError } from '@chasm/core';

/**
 * What a Nexus task token names (Temporal's `tokenspb.NexusTask`): the namespace and task queue
 * it was polled from and the dispatch's id. The id is a random UUID, so a token cannot be
 * guessed from another one; the namespace lets the RPCs refuse a token used in another namespace.
 */
export interface NexusTaskToken {
  readonly namespaceId: string;
  readonly taskQueue: string;
  readonly taskId: string;
}

/** Wire form: the tagged JSON array `["nx1", namespaceId, taskQueue, taskId]` (tag = kind and version). */
const TAG = 'nx1';
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function encodeNexusTaskToken(t: NexusTaskToken): Uint8Array {
  return enc.encode(JSON.stringify([TAG, t.namespaceId, t.taskQueue, t.taskId]));
}

/** Decodes a token; anything this server did not write is INVALID_ARGUMENT, as in Temporal's frontend. */
export function decodeNexusTaskToken(bytes: Uint8Array | null | undefined): NexusTaskToken {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError('task_token', 'Task token not set on request.');
  const malformed = (): InvalidArgumentError => new InvalidArgumentError('task_token', 'Error deserializing task token.');
  let arr: unknown;
  try {
    arr = JSON.parse(dec.decode(bytes));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(arr) || arr.length !== 4 || arr[0] !== TAG) throw malformed();
  const [, namespaceId, taskQueue, taskId] = arr as unknown[];
  if (typeof namespaceId !== 'string' || typeof taskQueue !== 'string' || typeof taskId !== 'string') throw malformed();
  if (!namespaceId || !taskQueue || !taskId) throw malformed();
  return { namespaceId, taskQueue, taskId };
}
