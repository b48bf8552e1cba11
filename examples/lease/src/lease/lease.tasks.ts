import { lease } from '../library.js';
import { Lease } from './lease.js';
import { LeaseTransitions } from './lease.transitions.js';

/** Timer: frees the lease when the grant it was armed for runs out (a pure task: no I/O). */
export const ExpireLease = lease.pureTask<typeof Lease, { stamp: number }>({
  name: 'expire',
  component: Lease,
  validate: (_ctx, l, p) => l.state.status === 'held' && l.state.stamp === p.stamp,
  execute: (ctx, l) => LeaseTransitions.expire.apply(l, ctx),
});
