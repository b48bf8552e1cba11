import { tests } from './lib.js';
import { stateMachine } from '../../transition.js';
import type { ComponentOf } from '../../component/component-type.js';

export type ItemStatus = 'active' | 'expired' | 'paused';

export interface ItemState {
  value: string;
  status: ItemStatus;
  /** Bumped whenever the TTL is re-armed: older expire tasks go stale. */
  ttlStamp: number;
  /** Times an expire/fire timer actually ran (crash tests assert exactly once). */
  firedCount: number;
  notifyStamp: number;
  notifiedCount: number;
}

/** A map child of the reference store: exercises child components, timers and side effects. */
export const Item = tests.component<ItemState>({
  name: 'item',
  lifecycle: (s) => (s.status === 'paused' ? 'paused' : s.status === 'expired' ? 'completed' : 'running'),
});
export type ItemComponent = ComponentOf<typeof Item>;

const items = stateMachine<ItemComponent, ItemStatus>({
  get: (c) => c.state.status,
  set: (c, s) => {
    c.state.status = s;
  },
});

export const ItemTransitions = {
  expire: items.transition({
    name: 'expire',
    from: ['active'],
    to: 'expired',
    apply(item) {
      item.state.firedCount++;
    },
  }),
  pause: items.transition({ name: 'pause', from: ['active'], to: 'paused' }),
  resume: items.transition({ name: 'resume', from: ['paused'], to: 'active' }),
};
