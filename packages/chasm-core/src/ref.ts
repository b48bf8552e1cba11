import { InvalidArgumentError } from './errors.js';
import type { ExecutionKey } from './persistence/store.js';

/**
 * Addresses one component instance and carries a consistency token. `initialTc` tells a
 * component recreated at the same path apart from the one the ref was taken on; `executionTc`
 * is the execution's transition count when the ref was made: an engine whose cached state is
 * older than that reloads before answering.
 */
export interface ComponentRef extends ExecutionKey {
  readonly path: string;
  readonly initialTc: number;
  readonly executionTc: number;
  /** Set on refs handed to side-effect tasks: re-entry validates that task under the lock. */
  readonly taskId?: string;
}

/** Compact, versioned wire form for task tokens and state tokens. */
export function encodeRef(ref: ComponentRef): Uint8Array {
  const arr: unknown[] = [1, ref.namespaceId, ref.businessId, ref.archetype, ref.runId, ref.path, ref.initialTc, ref.executionTc];
  if (ref.taskId !== undefined) arr.push(ref.taskId);
  return new TextEncoder().encode(JSON.stringify(arr));
}

export function decodeRef(bytes: Uint8Array | undefined | null, field = 'task_token'): ComponentRef {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError(field, `${field} is required`);
  let arr: unknown;
  try {
    arr = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new InvalidArgumentError(field, `${field} is malformed`);
  }
  if (
    !Array.isArray(arr) ||
    arr[0] !== 1 ||
    arr.length < 8 ||
    !arr.slice(1, 6).every((v) => typeof v === 'string') ||
    !Number.isInteger(arr[6]) ||
    !Number.isInteger(arr[7]) ||
    (arr.length > 8 && typeof arr[8] !== 'string')
  ) {
    throw new InvalidArgumentError(field, `${field} is malformed`);
  }
  const [, namespaceId, businessId, archetype, runId, path, initialTc, executionTc, taskId] = arr as [
    number, string, string, string, string, string, number, number, string | undefined,
  ];
  return taskId === undefined
    ? { namespaceId, businessId, archetype, runId, path, initialTc, executionTc }
    : { namespaceId, businessId, archetype, runId, path, initialTc, executionTc, taskId };
}
