import { InvalidArgumentError, NotFoundError } from '@chasm/core';

/** What a workflow task token names: one started task instance of one run. */
export interface WorkflowTaskToken {
  readonly kind: 'workflowTask';
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly scheduledEventId: number;
  readonly startedEventId: number;
  readonly attempt: number;
  readonly stamp: number;
  /**
   * When the task instance was started (ms): a start that was lost (kill -9, cache) and made again
   * from another offer of the same instance has another time, so a token names one start only.
   * Absent in tokens issued before it was added (not checked then).
   */
  readonly startedTime?: number;
}

/** A legacy query task: answered through RespondQueryTaskCompleted, lives only in memory. */
export interface QueryTaskToken {
  readonly kind: 'query';
  readonly namespaceId: string;
  readonly queryId: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeWorkflowTaskToken(t: Omit<WorkflowTaskToken, 'kind'>): Uint8Array {
  const a: unknown[] = [1, 'w', t.namespaceId, t.workflowId, t.runId, t.scheduledEventId, t.startedEventId, t.attempt, t.stamp];
  if (t.startedTime !== undefined) a.push(t.startedTime);
  return enc.encode(JSON.stringify(a));
}

export function encodeQueryTaskToken(t: Omit<QueryTaskToken, 'kind'>): Uint8Array {
  return enc.encode(JSON.stringify([1, 'q', t.namespaceId, t.queryId]));
}

export function decodeTaskToken(bytes: Uint8Array | null | undefined): WorkflowTaskToken | QueryTaskToken {
  if (!bytes || bytes.length === 0) throw new InvalidArgumentError('task_token', 'task_token is required');
  let a: unknown;
  try {
    a = JSON.parse(dec.decode(bytes));
  } catch {
    throw new InvalidArgumentError('task_token', 'task_token is malformed');
  }
  if (Array.isArray(a) && a[0] === 1 && a[1] === 'w' && (a.length === 9 || a.length === 10)) {
    const [, , namespaceId, workflowId, runId, scheduledEventId, startedEventId, attempt, stamp, startedTime] = a as [
      number, string, string, string, string, number, number, number, number, number | undefined,
    ];
    return {
      kind: 'workflowTask', namespaceId, workflowId, runId, scheduledEventId, startedEventId, attempt, stamp,
      ...(typeof startedTime === 'number' ? { startedTime } : {}),
    };
  }
  if (Array.isArray(a) && a[0] === 1 && a[1] === 'q' && a.length === 4) {
    return { kind: 'query', namespaceId: String(a[2]), queryId: String(a[3]) };
  }
  throw new InvalidArgumentError('task_token', 'task_token is malformed');
}

export function decodeWorkflowTaskToken(bytes: Uint8Array | null | undefined): WorkflowTaskToken {
  const t = decodeTaskToken(bytes);
  if (t.kind !== 'workflowTask') throw new InvalidArgumentError('task_token', 'not a workflow task token');
  return t;
}

export const workflowTaskNotFound = (): NotFoundError => new NotFoundError('Workflow task not found.');

/** Payload of a matching task: which task instance to start (or which query to deliver). */
export type MatchingPayload =
  | { readonly k: 'w'; readonly wf: string; readonly run: string; readonly stamp: number; /** A speculative task: started without a commit. */ readonly sp?: 1 }
  | { readonly k: 'q'; readonly id: string };

export function encodeMatchingPayload(p: MatchingPayload): Uint8Array {
  return enc.encode(JSON.stringify(p));
}

export function decodeMatchingPayload(b: Uint8Array): MatchingPayload | undefined {
  try {
    const p = JSON.parse(dec.decode(b)) as MatchingPayload;
    return p && (p.k === 'w' || p.k === 'q') ? p : undefined;
  } catch {
    return undefined;
  }
}
