import { RetryableTaskError } from '../errors.js';
import { isOpenStatus, type ExecutionKey, type TaskRow } from '../persistence/store.js';
import { executionKeyString } from './execution-cache.js';
import type { ExecutionAccess } from './execution-access.js';
import { decodeCloseTime } from './retention-policy.js';

/** Running the retention timers armed by `retention-policy.ts`: the engine's side, under the lock. */

/**
 * What running a retention timer did: `deleted` (its row went with the execution), `stale`
 * (the execution is gone, open again, or closed at another time: the caller deletes the row).
 */
export type RetentionOutcome = 'deleted' | 'stale';

/** How long a retention timer waits for outstanding visibility writes of its execution. */
const VISIBILITY_WAIT_MS = 1_000;

/**
 * Runs a retention timer: under the execution's lock, checks that it still applies and deletes
 * the execution in one fenced store call. Idempotent: a repeat finds nothing and answers stale.
 */
export function runRetention(access: ExecutionAccess, task: TaskRow): Promise<RetentionOutcome> {
  return access.locked(task, async (key) => {
    const e = await access.loadOrUndefined(key);
    if (!e) return 'stale';
    const closeTime = decodeCloseTime(task.payload);
    if (isOpenStatus(e.row.status) || e.row.closeTime === null || closeTime === undefined || e.row.closeTime.getTime() !== closeTime) {
      return 'stale';
    }
    // A visibility write computed before this delete but landing after it would bring the
    // visibility row back, forever. The close's record is written within moments, so wait for it.
    if (e.visibilityTaskIds.length > 0) {
      throw new RetryableTaskError('visibility of the closed execution is not written yet', VISIBILITY_WAIT_MS);
    }
    await deleteLocked(access, key, e.row.shardId);
    access.metrics?.executionsDeleted.inc({ reason: 'retention' });
    return 'deleted';
  });
}

/**
 * Deletes an execution's rows without touching its components (no terminate: retention deletes
 * what is closed, namespace removal what is abandoned; `engine.delete` terminates first). The
 * caller holds the lock.
 */
export async function deleteLocked(access: ExecutionAccess, key: ExecutionKey, shardId: number): Promise<void> {
  let deleted = false;
  try {
    await access.store.deleteExecution(access.leases.get(shardId), key);
    deleted = true;
  } finally {
    // Also on failure: a delete of unknown outcome may have happened, so the cached execution
    // (and the current-run pointer, which both forget) can no longer be trusted. A deleted one
    // runs no task again: no need to change its memory epoch (ADR 0067).
    if (deleted) access.cache.forgetDeleted(key);
    else access.cache.drop(key);
  }
  access.notifier.notify(executionKeyString(key));
}
