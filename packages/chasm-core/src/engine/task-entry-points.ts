import type { ExecutionKey, TaskRow, VisibilityRecord } from '../persistence/store.js';
import type { ComponentRef } from '../ref.js';
import { visibilityRecordOf } from './commit.js';
import { refOf, type ExecutionAccess } from './execution-access.js';
import { Transaction, taskAttributes, taskPayload, taskValid } from './transaction.js';

/**
 * The engine's side of task processing: what the task processor calls (through the engine,
 * see `TaskHost`) to run pure tasks, prepare side effects and write visibility. Not for
 * component authors: their tasks are run for them.
 */

/**
 * Runs every due pure task of the execution that owns `task`, in one transaction. 'finished':
 * `task` ran alone and changed nothing, so nothing was written and its row is the caller's to
 * delete (a pure timer that found nothing to do, e.g. a start guard whose task still waits).
 */
export function runDuePureTasks(access: ExecutionAccess, task: TaskRow): Promise<'done' | 'finished' | { retryAt: Date }> {
  return access.retryConflicts(() =>
    access.locked(task, async (key) => {
      if (idleWithoutLoad(access, task, key)) {
        access.metrics?.tasks.inc({ type: task.typeName, outcome: 'idle' });
        return 'finished';
      }
      const e = await access.loadOrUndefined(key);
      if (!e) return 'done';
      const node = e.tree.nodes.get(task.path);
      if (!node?.tasks.some((t) => t.row.taskId === task.taskId)) return 'done';
      const now = access.clock.now();
      if (task.fireAt && task.fireAt > now) return { retryAt: task.fireAt };
      const txn = new Transaction(e.tree, key, now, e.row.transitionCount);
      const rctx = txn.readContext();
      const mctx = txn.mutableContext();
      const executed = new Set<string>();
      e.tree.mutable = true;
      try {
        access.settleSpeculative(e, txn);
        // Due tasks in (fireAt, id) order; each validated right before it runs.
        const due = [...e.tree.nodes.values()]
          .flatMap((n) => n.tasks.map((t) => ({ n, t })))
          .filter(({ t }) => t.row.kind === 'pure' && t.row.fireAt !== null && t.row.fireAt <= now)
          .sort((a, b) => a.t.row.fireAt!.getTime() - b.t.row.fireAt!.getTime() || (a.t.row.taskId < b.t.row.taskId ? -1 : 1));
        for (const { n, t } of due) {
          if (e.tree.nodes.get(n.path) !== n || !n.tasks.includes(t)) continue;
          executed.add(t.row.taskId);
          if (!access.registry.hasTask(t.row.typeName)) continue;
          const type = access.registry.task(t.row.typeName);
          if (type.kind !== 'pure') continue;
          const payload = taskPayload(type, t);
          const attrs = taskAttributes(t);
          if (taskValid(e.tree, rctx, n, type, payload, attrs)) type.execute(mctx, e.tree.wrap(n), payload, attrs);
          access.metrics?.tasks.inc({ type: type.name, outcome: 'executed' });
        }
        const alone = executed.size === 1 && executed.has(task.taskId);
        const wrote = await access.commit(e, txn, { executedTaskIds: executed, finishUnchanged: alone });
        if (!wrote && alone) return 'finished';
      } catch (err) {
        access.cache.drop(key);
        throw err;
      } finally {
        e.tree.mutable = false;
      }
      return 'done';
    }),
  );
}

/**
 * A due pure task that declares the memory epoch at which it is idle (`PureTaskType.idleAtEpoch`,
 * ADR 0069), on an execution not in memory whose epoch is still that one: no speculative change
 * can exist (an execution holding one is never evicted, ADR 0067, and a drop changes the epoch),
 * so the stored state is the whole truth and the task would change nothing in it. Caller holds
 * the lock.
 */
function idleWithoutLoad(access: ExecutionAccess, task: TaskRow, key: ExecutionKey): boolean {
  if (access.cache.peek(key) || !access.registry.hasTask(task.typeName)) return false;
  const type = access.registry.task(task.typeName);
  if (type.kind !== 'pure' || !type.idleAtEpoch) return false;
  if (task.fireAt && task.fireAt > access.clock.now()) return false;
  const epoch = type.idleAtEpoch(type.codec.decode(task.payload));
  return epoch !== undefined && epoch === access.cache.epochOf(key);
}

/**
 * Validates a side-effect task under the lock and returns the ref its handler re-enters
 * with, or undefined when the task is gone or stale (the caller deletes it).
 */
export function prepareSideEffect(access: ExecutionAccess, task: TaskRow): Promise<ComponentRef | undefined> {
  return access.locked(task, async (key) => {
    const e = await access.loadOrUndefined(key);
    const node = e?.tree.nodes.get(task.path);
    const live = node?.tasks.find((t) => t.row.taskId === task.taskId);
    if (!e || !node || !live || node.initialTc !== task.componentInitialTc) return undefined;
    const type = access.registry.task(task.typeName);
    const txn = new Transaction(e.tree, key, access.clock.now(), e.row.transitionCount);
    if (!taskValid(e.tree, txn.readContext(), node, type, taskPayload(type, live), taskAttributes(live))) return undefined;
    return refOf(key, node.path, node.initialTc, e.row.transitionCount, task.taskId);
  });
}

/** A side-effect task finished (or was dropped): forget it in memory; the processor deletes the row. */
export function forgetTask(access: ExecutionAccess, task: TaskRow): void {
  const e = access.cache.get(task);
  const node = e?.tree.nodes.get(task.path);
  if (node) node.tasks = node.tasks.filter((t) => t.row.taskId !== task.taskId);
}

/**
 * The visibility record for a visibility task (written by versions before ADR 0032), or
 * undefined if the task was superseded.
 */
export function visibilityRecord(access: ExecutionAccess, task: TaskRow): Promise<VisibilityRecord | undefined> {
  return access.locked(task, async (key) => {
    const e = await access.loadOrUndefined(key);
    if (!e || !e.visibilityTaskIds.includes(task.taskId)) return undefined;
    return visibilityRecordOf(key, e.tree.root.componentType!, e.tree.wrap(e.tree.root).state, e.row);
  });
}

/** The visibility record of a task was written: it no longer needs superseding. */
export function visibilityWritten(access: ExecutionAccess, task: TaskRow): void {
  const e = access.cache.get(task);
  if (e) e.visibilityTaskIds = e.visibilityTaskIds.filter((id) => id !== task.taskId);
}
