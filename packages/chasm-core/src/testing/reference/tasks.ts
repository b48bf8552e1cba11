import { tests } from './lib.js';
import { asComponent } from '../../component/component-type.js';
import { Item, ItemTransitions } from './item.js';
import { Store } from './store.js';

/** Timer: expires an item unless its TTL was re-armed (stamp) or it already expired. */
export const ExpireTask = tests.pureTask<typeof Item, { stamp: number }>({
  name: 'expire',
  component: Item,
  validate: (_ctx, item, p) => item.state.ttlStamp === p.stamp && ItemTransitions.expire.possible(item),
  execute(ctx, item) {
    ItemTransitions.expire.apply(item, ctx);
    const store = asComponent(item.parent()!, Store);
    store.state.expiredCount++;
    store.state.firedTotal++;
  },
});

/** Immediate pure task: recomputes the store's derived count in the same transaction. */
export const RecountTask = tests.pureTask<typeof Store, Record<string, never>>({
  name: 'recount',
  component: Store,
  validate: () => true,
  execute(_ctx, store) {
    store.state.itemCount = store.fields.items.size;
  },
});

/** Records every side-effect delivery so tests can count executions. */
export const sideEffectLog: { taskId: string; stamp: number }[] = [];

/** Side effect: "calls out" (records), then re-enters through its ref to mark the item notified. */
export const NotifyTask = tests.sideEffectTask<typeof Item, { stamp: number; fail?: number }>({
  name: 'notify',
  component: Item,
  validate: (_ctx, item, p) => item.state.notifyStamp === p.stamp,
  async execute(ctx, ref, p, attrs) {
    sideEffectLog.push({ taskId: attrs.taskId, stamp: p.stamp });
    const failuresSoFar = sideEffectLog.filter((e) => e.taskId === attrs.taskId).length - 1;
    if (p.fail !== undefined && failuresSoFar < p.fail) throw new Error(`injected failure ${failuresSoFar + 1}`);
    await ctx.engine.update(ref, (c) => {
      const item = asComponent(c, Item);
      item.state.notifiedCount++;
      // Consuming the stamp makes the task invalid: it cannot run twice.
      item.state.notifyStamp++;
    });
  },
});
