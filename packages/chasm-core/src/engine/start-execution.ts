import { randomUUID } from 'node:crypto';
import type { AnyComponent, AnyComponentType, ChildSpecs } from '../component/component-type.js';
import type { MutableContext } from '../context.js';
import { CurrentExecutionChangedError, ExecutionAlreadyStartedError } from '../errors.js';
import { isOpenStatus, type CurrentExecutionRow, type ExecutionKey, type ExecutionRow } from '../persistence/store.js';
import type { ComponentRef } from '../ref.js';
import { Tree } from '../tree/tree.js';
import type { StartOptions } from './engine.js';
import { businessKey, type CachedExecution } from './execution-cache.js';
import { rootRef, type ExecutionAccess } from './execution-access.js';
import { shardFor } from './shard-router.js';
import { Transaction } from './transaction.js';

export interface StartOutcome {
  readonly ref: ComponentRef;
  readonly runId: string;
  readonly created: boolean;
  readonly output?: unknown;
}

/**
 * Start, or (with `updateFn`) update-with-start: applies the id reuse and conflict policies
 * against the current run and either returns / updates it or creates a new run.
 */
export async function startOrUpdate(
  access: ExecutionAccess,
  type: AnyComponentType,
  id: { readonly namespaceId: string; readonly businessId: string },
  opts: StartOptions<unknown, ChildSpecs, unknown>,
  updateFn: ((c: AnyComponent, ctx: MutableContext) => unknown) | undefined,
): Promise<StartOutcome> {
  const bk = businessKey(id.namespaceId, id.businessId, type.name);
  return access.retryConflicts(() =>
    access.withBusinessLock(bk, async () => {
      // Optimistic create: with no current run cached, assume there is none and let the
      // create's own condition (no current row) check it, saving a read per new id. If a run
      // exists after all, the create writes nothing and fails; then read and decide.
      if (access.cache.getCurrent(bk) === undefined) {
        try {
          return await startOrUpdateLocked(access, type, id, opts, updateFn, undefined);
        } catch (err) {
          if (!(err instanceof CurrentExecutionChangedError)) throw err;
        }
      }
      const current = await access.getCurrent(id.namespaceId, id.businessId, type.name);
      return startOrUpdateLocked(access, type, id, opts, updateFn, current);
    }),
  );
}

/** startOrUpdate under the business id's lock, given the current run (undefined: none). */
async function startOrUpdateLocked(
  access: ExecutionAccess,
  type: AnyComponentType,
  id: { readonly namespaceId: string; readonly businessId: string },
  opts: StartOptions<unknown, ChildSpecs, unknown>,
  updateFn: ((c: AnyComponent, ctx: MutableContext) => unknown) | undefined,
  current: CurrentExecutionRow | undefined,
): Promise<StartOutcome> {
  let replace: string | undefined;
  if (current) {
    const existing = async (): Promise<StartOutcome> => {
      const key = { namespaceId: id.namespaceId, businessId: id.businessId, archetype: type.name, runId: current.runId };
      const e = await access.load(key, 0);
      if (updateFn) {
        const r = await access.mutate(e, e.tree.root, updateFn, {});
        return { ref: r.ref!, runId: current.runId, created: false, output: r.output };
      }
      return { ref: rootRef(key, e.row.transitionCount), runId: current.runId, created: false };
    };
    if (current.startRequestId === opts.requestId) return existing();
    if (isOpenStatus(current.status)) {
      if (updateFn || opts.conflictPolicy === 'useExisting') return existing();
      throw alreadyStarted(id.businessId, current);
    }
    const reuse = opts.reusePolicy ?? 'allowDuplicate';
    if (reuse === 'rejectDuplicate' || (reuse === 'allowDuplicateFailedOnly' && current.status === 'completed')) {
      throw alreadyStarted(id.businessId, current);
    }
    replace = current.runId;
  }
  const runId = opts.runId ?? randomUUID();
  const key: ExecutionKey = { namespaceId: id.namespaceId, businessId: id.businessId, archetype: type.name, runId };
  const shardId = shardFor(id.namespaceId, id.businessId, access.store.shardCount);
  const now = access.clock.now();
  // Fields spelled out rather than spread from `key`: a spread copies through the slow generic path.
  const row: ExecutionRow = {
    namespaceId: key.namespaceId, businessId: key.businessId, archetype: key.archetype, runId,
    shardId, status: 'running', transitionCount: 0, dbVersion: 0, startTime: now, closeTime: null,
    startRequestId: opts.requestId, requestIds: [],
  };
  const tree = Tree.create(access.registry, type, undefined);
  tree.memoryEpoch = access.cache.epochOf(key);
  const e: CachedExecution = { row, tree, visibilityFingerprint: undefined, visibilityTaskIds: [] };
  const txn = new Transaction(tree, key, now, 0);
  const ctx = txn.mutableContext();
  tree.mutable = true;
  let output: unknown;
  try {
    tree.root.value = opts.init(ctx);
    const root = tree.wrap(tree.root);
    output = opts.run?.(root, ctx);
    if (updateFn) output = updateFn(root, ctx);
    await access.commit(e, txn, { create: true }, replace);
  } finally {
    tree.mutable = false;
  }
  access.cache.set(e);
  access.cache.setCurrent({
    namespaceId: key.namespaceId, businessId: key.businessId, archetype: key.archetype, runId,
    status: e.row.status, startRequestId: opts.requestId,
  });
  access.metrics?.starts.inc({ archetype: type.name });
  return { ref: rootRef(key, e.row.transitionCount), runId, created: true, output };
}

function alreadyStarted(businessId: string, current: CurrentExecutionRow): ExecutionAlreadyStartedError {
  return new ExecutionAlreadyStartedError(
    `execution already started: ${businessId} (run ${current.runId})`,
    current.runId,
    current.startRequestId,
  );
}
