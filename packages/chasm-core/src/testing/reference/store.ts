import { dataMapOf, dataOf, mapOf, pointer } from '../../component/component-type.js';
import type { ComponentOf } from '../../component/component-type.js';
import type { MutableContext } from '../../context.js';
import { Item } from './item.js';
import { tests } from './lib.js';

export interface StoreState {
  name: string;
  closed: boolean;
  terminated: boolean;
  /** Maintained by the immediate pure task `tests.recount`. */
  itemCount: number;
  expiredCount: number;
  /** Timers that fired across all items (crash test: equals the number scheduled). */
  firedTotal: number;
}

export interface PayloadEntry {
  readonly bytes: Uint8Array;
  readonly at: Date;
}

/**
 * The reference component, like Temporal's `chasm/lib/tests` PayloadStore: a root with a map
 * of child components, a data map, a data field, a pointer, search attributes and memo.
 */
export const Store = tests.component({
  name: 'store',
  schemaVersion: 2,
  // Version 1 had `count` instead of `itemCount`.
  migrate: (old: unknown, from: number): StoreState => {
    const s = old as StoreState & { count?: number };
    if (from === 1) {
      const { count, ...rest } = s;
      return { ...rest, itemCount: count ?? 0 };
    }
    return s;
  },
  children: {
    items: mapOf(Item),
    payloads: dataMapOf<PayloadEntry>(),
    config: dataOf<{ ttlMs: number }>(),
    favorite: pointer(),
  },
  lifecycle: (s: StoreState) => (s.closed ? 'completed' : 'running'),
  executionStatus: (s: StoreState) => (s.terminated ? 'terminated' : 'completed'),
  searchAttributeTypes: { StoreName: 'Keyword', ItemCount: 'Int', Closed: 'Bool' },
  searchAttributes: (s: StoreState) => ({ StoreName: s.name, ItemCount: s.itemCount, Closed: s.closed }),
  memo: (s: StoreState) => new TextEncoder().encode(JSON.stringify({ name: s.name })),
  terminate(store, _ctx: MutableContext) {
    store.state.closed = true;
    store.state.terminated = true;
  },
});
export type StoreComponent = ComponentOf<typeof Store>;

export const newStoreState = (name: string): StoreState => ({
  name,
  closed: false,
  terminated: false,
  itemCount: 0,
  expiredCount: 0,
  firedTotal: 0,
});
