import { stateMachine, type MutableContext } from '@chasm/core';
import type { LeaseComponent, LeaseStatus } from './lease.js';

const machine = stateMachine<LeaseComponent, LeaseStatus>({
  get: (l) => l.state.status,
  set: (l, s) => (l.state.status = s),
});

export interface Grant {
  readonly holder: string;
  readonly ttlMs: number;
}

function grant(l: LeaseComponent, ctx: MutableContext, g: Grant): void {
  l.state.holder = g.holder;
  l.state.expiresAt = ctx.now.getTime() + g.ttlMs;
  l.state.stamp += 1;
}

/** The lease's state machine: free ⇄ held. Timers are armed by lease-ops.ts. */
export const LeaseTransitions = {
  acquire: machine.transition<Grant>({
    name: 'acquire',
    from: ['free'],
    to: 'held',
    apply: (l, ctx, g) => {
      l.state.grants += 1;
      grant(l, ctx, g);
    },
  }),
  renew: machine.transition<Grant>({ name: 'renew', from: ['held'], to: 'held', apply: grant }),
  release: machine.transition({
    name: 'release',
    from: ['held'],
    to: 'free',
    apply: (l) => {
      l.state.holder = null;
      l.state.expiresAt = null;
      l.state.stamp += 1;
    },
  }),
  expire: machine.transition({
    name: 'expire',
    from: ['held'],
    to: 'free',
    apply: (l) => {
      l.state.holder = null;
      l.state.expiresAt = null;
    },
  }),
};
