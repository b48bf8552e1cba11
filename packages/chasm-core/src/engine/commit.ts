import { isClosed } from '../component/lifecycle.js';
import type { AnyComponentType } from '../component/component-type.js';
import { isOpenStatus, type ExecutionKey, type ExecutionRow, type ExecutionStatus, type TaskRow, type VisibilityRecord } from '../persistence/store.js';
import type { Registry } from '../registry/registry.js';
import type { LiveTask } from '../tree/node.js';
import type { TreeDiff } from '../tree/tree.js';
import type { CachedExecution } from './execution-cache.js';
import { taskAttributes, taskPayload, taskValid, type Transaction } from './transaction.js';

/** Bounded so the execution row stays small; dedup covers recent retries, as SDK retries are. */
const MAX_REQUEST_IDS = 100;
/** A safety net against immediate pure tasks that keep re-adding themselves. */
const MAX_IMMEDIATE_PURE_TASKS = 10_000;
/**
 * Visibility tasks are no longer written (ADR 0032: the commit writes the record itself); rows
 * written by older versions are still processed and superseded.
 */
export const VISIBILITY_TASK_TYPE = 'core.visibility';

export interface CommitOptions {
  readonly requestId?: string | undefined;
  /** Tasks that ran in this transaction (pure timers): removed in the same commit. */
  readonly executedTaskIds?: ReadonlySet<string> | undefined;
  /** Overrides the status derived from the root (used by terminate). */
  readonly forceStatus?: ExecutionStatus | undefined;
  /** true when writing a brand-new execution. */
  readonly create?: boolean | undefined;
  /**
   * The executed tasks alone do not make the commit a change: when nothing else changed it is a
   * no-op, and the caller deletes their rows itself (the task processor's batched deletion). A
   * pure timer that changed nothing then costs no write of the execution.
   */
  readonly finishUnchanged?: boolean | undefined;
}

/** Everything one commit writes, computed before the store call; applied to the cache after it. */
export interface PreparedCommit {
  readonly noop: boolean;
  readonly diff: TreeDiff;
  readonly row: ExecutionRow;
  readonly insertTasks: TaskRow[];
  readonly deleteTaskIds: string[];
  readonly statusChanged: boolean;
  readonly visibilityFingerprint: string;
  readonly visibilityTaskIds: string[];
  /** The visibility record to write with this commit, when the fingerprint changed. */
  readonly visibility: VisibilityRecord | undefined;
  /** Per-node task lists to install once the commit succeeds. */
  readonly nodeTasks: Map<string, LiveTask[]>;
}

export function executionStatusOf(type: AnyComponentType, state: unknown): ExecutionStatus {
  const l = type.lifecycle(state);
  if (!isClosed(l)) {
    // Only the execution status says paused: the 'paused' lifecycle would invalidate every task of
    // the root (timers, signals delivered later), which a paused workflow must keep.
    const open = type.executionStatus?.(state);
    return open !== undefined && isOpenStatus(open) ? open : 'running';
  }
  return type.executionStatus?.(state) ?? (l === 'completed' ? 'completed' : 'failed');
}

/**
 * Search attributes + memo + status: what a visibility record depends on. Compared only with
 * another fingerprint (never stored), so it need not be readable, only tell records apart.
 */
export function visibilityFingerprint(type: AnyComponentType, state: unknown, status: ExecutionStatus): string {
  const sa = type.searchAttributes?.(state) ?? {};
  const memo = type.memo?.(state);
  return JSON.stringify([status, withoutDates(sa), memo ? Buffer.from(memo).toString('base64') : null]);
}

/**
 * The attributes with each Date as `{ $date: ms }`. JSON.stringify would call Date's toJSON
 * (toISOString) instead, off V8's fast path: that one line was the costliest of the engine's
 * own code per start (1.1% of the server's busy samples, ~8 µs per commit; issue 16, ADR 0048),
 * and every workflow's `ExecutionTime` is a Date. Attribute values are scalars, lists of scalars
 * or Dates, so the tagged object cannot be mistaken for another value.
 */
function withoutDates(sa: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  let out: Record<string, unknown> | undefined;
  for (const k in sa) {
    const v = sa[k];
    if (v instanceof Date) (out ??= Object.assign({}, sa))[k] = { $date: v.getTime() };
  }
  return out ?? sa;
}

/** The visibility record of an execution whose row (status, times, transition count) is `row`. */
export function visibilityRecordOf(key: ExecutionKey, type: AnyComponentType, state: unknown, row: ExecutionRow): VisibilityRecord {
  const sa = type.searchAttributes?.(state) ?? {};
  const searchAttributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sa)) searchAttributes[k] = v instanceof Date ? v.toISOString() : v;
  return {
    namespaceId: key.namespaceId,
    businessId: key.businessId,
    archetype: key.archetype,
    runId: key.runId,
    status: row.status,
    startTime: row.startTime,
    closeTime: row.closeTime,
    searchAttributes,
    memo: type.memo?.(state) ?? null,
    transitionCount: row.transitionCount,
  };
}

/**
 * Runs immediate pure tasks, diffs the tree, re-validates outstanding tasks, validates and
 * stamps new ones, derives the execution status and decides whether visibility changed.
 * Pure computation: nothing is written and the cache is untouched until `applyCommit`.
 */
export function prepareCommit(
  e: CachedExecution,
  txn: Transaction,
  registry: Registry,
  allocateTaskId: () => string,
  opts: CommitOptions,
): PreparedCommit {
  const tree = e.tree;
  const mctx = txn.mutableContext();
  const rctx = txn.readContext();

  for (let i = 0; txn.immediatePure.length > 0; i++) {
    if (i > MAX_IMMEDIATE_PURE_TASKS) throw new Error('immediate pure tasks did not settle');
    const p = txn.immediatePure.shift()!;
    if (tree.nodes.get(p.node.path) !== p.node) continue;
    const attrs = { scheduledAt: null, taskId: '' };
    if (p.type.kind === 'pure' && taskValid(tree, rctx, p.node, p.type, p.payload, attrs)) {
      p.type.execute(mctx, tree.wrap(p.node), p.payload, attrs);
    }
  }

  const nextTc = txn.nextTc;
  const diff = tree.diff(nextTc);
  const deleteTaskIds = tree.removedTasks.map((t) => t.taskId);
  const executed = opts.executedTaskIds ?? new Set<string>();
  const changed =
    opts.create === true ||
    diff.upserts.length > 0 ||
    diff.deletes.length > 0 ||
    txn.newTasks.length > 0 ||
    (executed.size > 0 && opts.finishUnchanged !== true) ||
    deleteTaskIds.length > 0 ||
    opts.forceStatus !== undefined;

  const rootType = tree.root.componentType!;
  const rootState = tree.wrap(tree.root).state;
  const status = opts.forceStatus ?? executionStatusOf(rootType, rootState);
  const statusChanged = status !== e.row.status;
  const fingerprint = visibilityFingerprint(rootType, rootState, status);

  if (!changed && !opts.requestId && !statusChanged && fingerprint === e.visibilityFingerprint) {
    return {
      noop: true, diff, row: e.row, insertTasks: [], deleteTaskIds: [], statusChanged: false,
      visibilityFingerprint: fingerprint, visibilityTaskIds: e.visibilityTaskIds, visibility: undefined, nodeTasks: new Map(),
    };
  }

  // Re-validate every outstanding task against the state this commit writes.
  const nodeTasks = new Map<string, LiveTask[]>();
  for (const node of tree.nodes.values()) {
    if (node.tasks.length === 0) continue;
    const keep: LiveTask[] = [];
    for (const t of node.tasks) {
      if (executed.has(t.row.taskId) || !registry.hasTask(t.row.typeName)) {
        deleteTaskIds.push(t.row.taskId);
        continue;
      }
      const type = registry.task(t.row.typeName);
      if (taskValid(tree, rctx, node, type, taskPayload(type, t), taskAttributes(t))) keep.push(t);
      else deleteTaskIds.push(t.row.taskId);
    }
    nodeTasks.set(node.path, keep);
  }

  const insertTasks: TaskRow[] = [];
  for (const p of txn.newTasks) {
    if (tree.nodes.get(p.node.path) !== p.node) continue;
    if (!taskValid(tree, rctx, p.node, p.type, p.payload, { scheduledAt: p.at, taskId: '' })) continue;
    // Field by field, not `{ ...txn.key, shardId, … }` (the spread-then-new-field slow path, ADR 0041).
    const row: TaskRow = {
      namespaceId: txn.key.namespaceId,
      businessId: txn.key.businessId,
      archetype: txn.key.archetype,
      runId: txn.key.runId,
      shardId: e.row.shardId,
      taskId: allocateTaskId(),
      kind: p.type.kind,
      typeName: p.type.name,
      path: p.node.path,
      componentInitialTc: p.node.persisted === undefined ? nextTc : p.node.initialTc,
      createdTc: nextTc,
      fireAt: p.at,
      payload: p.type.codec.encode(p.payload),
    };
    insertTasks.push(row);
    const list = nodeTasks.get(p.node.path) ?? [...p.node.tasks];
    list.push({ row, payload: p.payload });
    nodeTasks.set(p.node.path, list);
  }

  // Visibility: written by this commit itself when the record changed (ADR 0032). Outstanding
  // visibility tasks (written by older versions) are superseded: the record here is newer.
  let visibilityTaskIds = e.visibilityTaskIds;
  const visibilityChanged = fingerprint !== e.visibilityFingerprint;
  if (visibilityChanged && visibilityTaskIds.length > 0) {
    deleteTaskIds.push(...visibilityTaskIds);
    visibilityTaskIds = [];
  }

  const now = txn.now;
  const row: ExecutionRow = {
    ...e.row,
    status,
    transitionCount: nextTc,
    dbVersion: e.row.dbVersion + 1,
    closeTime: isOpenStatus(status) ? null : isOpenStatus(e.row.status) ? now : e.row.closeTime,
    requestIds: opts.requestId ? [...e.row.requestIds, opts.requestId].slice(-MAX_REQUEST_IDS) : e.row.requestIds,
  };
  const visibility = visibilityChanged ? visibilityRecordOf(txn.key, rootType, rootState, row) : undefined;
  return {
    noop: false, diff, row, insertTasks, deleteTaskIds, statusChanged, visibilityFingerprint: fingerprint,
    visibilityTaskIds, visibility, nodeTasks,
  };
}

/** Installs a committed result into the cached execution. */
export function applyCommit(e: CachedExecution, p: PreparedCommit): void {
  e.tree.markWritten(p.diff);
  for (const [path, tasks] of p.nodeTasks) {
    const node = e.tree.nodes.get(path);
    if (node) node.tasks = tasks;
  }
  e.row = p.row;
  e.visibilityFingerprint = p.visibilityFingerprint;
  e.visibilityTaskIds = p.visibilityTaskIds;
}
