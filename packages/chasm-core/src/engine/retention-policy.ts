import { isOpenStatus, type ExecutionRow, type TaskRow } from '../persistence/store.js';

/**
 * Retention: a closed execution is deleted (state, history nodes, tasks, visibility row, and the
 * current-run pointer if it still points at it) once its namespace's retention has passed, as
 * Temporal's delete-history task does. Every archetype gets it: the engine arms the timer on the
 * commit that closes a root, whatever the component.
 *
 * The timer is a core task row (kind `retention`), written in the closing commit itself, so it
 * survives a crash like any other task. It carries the close time it was armed for: an
 * execution that was reopened and closed again (or whose close time otherwise changed) finds
 * its old timer stale, and the new close armed a new one.
 */
export const RETENTION_TASK_TYPE = 'core.retention';

/** How long closed executions of a namespace are kept. The runtime's namespace registry provides it. */
export interface RetentionPolicy {
  /**
   * Milliseconds to keep a closed execution of this namespace; undefined keeps it forever.
   * Asked once per closing commit, under the execution's lock: answer from a cache.
   */
  retentionMs(namespaceId: string): Promise<number | undefined>;
}

/** The default without a policy: nothing is ever deleted by retention. */
export const keepForever: RetentionPolicy = { retentionMs: async () => undefined };

/** Whether a commit from `before` to `after` closes the execution. */
export function closes(before: ExecutionRow, after: ExecutionRow): boolean {
  return isOpenStatus(before.status) && !isOpenStatus(after.status) && after.closeTime !== null;
}

/** The retention timer of an execution that closed at `closeTime`. */
export function retentionTaskRow(row: ExecutionRow, closeTime: Date, retentionMs: number, taskId: string): TaskRow {
  return {
    namespaceId: row.namespaceId,
    businessId: row.businessId,
    archetype: row.archetype,
    runId: row.runId,
    shardId: row.shardId,
    taskId,
    kind: 'retention',
    typeName: RETENTION_TASK_TYPE,
    path: '',
    componentInitialTc: 1,
    createdTc: row.transitionCount,
    fireAt: new Date(closeTime.getTime() + retentionMs),
    payload: encodeCloseTime(closeTime),
  };
}

function encodeCloseTime(closeTime: Date): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ closeTime: closeTime.getTime() }));
}

/** The close time a retention timer was armed for (ms), or undefined if its payload is unreadable. */
export function decodeCloseTime(payload: Uint8Array): number | undefined {
  try {
    const v = (JSON.parse(new TextDecoder().decode(payload)) as { closeTime?: unknown }).closeTime;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}
