import type { Engine, RootTarget } from '../../engine/engine.js';
import type { MutableContext } from '../../context.js';
import type { ChildSpecs } from '../../component/component-type.js';
import { ExpireTask, NotifyTask, RecountTask } from './tasks.js';
import { Store, newStoreState, type StoreComponent, type StoreState } from './store.js';
import type { ItemComponent } from './item.js';

type StoreTarget = RootTarget<StoreState, (typeof Store)['children'] & ChildSpecs>;

/** Handlers over the reference store, written the way feature packages write theirs. */
export const storeTarget = (namespaceId: string, businessId: string, runId?: string): StoreTarget => ({
  type: Store,
  namespaceId,
  businessId,
  ...(runId ? { runId } : {}),
});

export function addItem(store: StoreComponent, ctx: MutableContext, key: string, value: string, opts: { ttlMs?: number; notify?: boolean; failNotify?: number } = {}): ItemComponent {
  const item = store.fields.items.create(key, { value, status: 'active', ttlStamp: 1, firedCount: 0, notifyStamp: 1, notifiedCount: 0 });
  if (opts.ttlMs !== undefined) ctx.addTask(item, ExpireTask, { stamp: 1 }, { at: new Date(ctx.now.getTime() + opts.ttlMs) });
  if (opts.notify) ctx.addTask(item, NotifyTask, opts.failNotify !== undefined ? { stamp: 1, fail: opts.failNotify } : { stamp: 1 });
  ctx.addTask(store, RecountTask, {});
  return item;
}

export async function createStore(engine: Engine, namespaceId: string, businessId: string, opts: { requestId?: string; reusePolicy?: 'allowDuplicate' | 'allowDuplicateFailedOnly' | 'rejectDuplicate'; conflictPolicy?: 'fail' | 'useExisting' } = {}) {
  return engine.start(Store, { namespaceId, businessId }, {
    init: () => newStoreState(businessId),
    requestId: opts.requestId ?? `${businessId}-${Math.random()}`,
    ...(opts.reusePolicy ? { reusePolicy: opts.reusePolicy } : {}),
    ...(opts.conflictPolicy ? { conflictPolicy: opts.conflictPolicy } : {}),
  });
}

export { Store };
