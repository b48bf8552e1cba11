import type { MutableContext } from '@chasm/core';
import { LeaseHeldError } from '../errors.js';
import type { LeaseComponent, LeaseState } from './lease.js';
import { ExpireLease } from './lease.tasks.js';
import { LeaseTransitions, type Grant } from './lease.transitions.js';

/**
 * Grants the lease to `holder` (or renews it if `holder` already holds it) and arms the expiry
 * timer for this grant. The timer carries the grant's stamp, so a renewal or a release makes
 * the earlier timer stale, and stale tasks never run. Held by someone else: LeaseHeldError.
 */
export function acquireLease(l: LeaseComponent, ctx: MutableContext, g: Grant): LeaseState {
  const s = l.state;
  if (s.status === 'held' && s.holder !== g.holder) {
    throw new LeaseHeldError(s.name, s.holder ?? '', `lease '${s.name}' is held by '${s.holder}' until ${new Date(s.expiresAt ?? 0).toISOString()}`);
  }
  if (s.status === 'held') LeaseTransitions.renew.apply(l, ctx, g);
  else LeaseTransitions.acquire.apply(l, ctx, g);
  ctx.addTask(l, ExpireLease, { stamp: s.stamp }, { at: new Date(s.expiresAt ?? ctx.now.getTime()) });
  return { ...s };
}

/** Releases the lease if `holder` holds it; releasing a free lease is a no-op (retries are safe). */
export function releaseLease(l: LeaseComponent, ctx: MutableContext, holder: string): void {
  const s = l.state;
  if (s.status === 'free') return;
  if (s.holder !== holder) throw new LeaseHeldError(s.name, s.holder ?? '', `lease '${s.name}' is held by '${s.holder}', not '${holder}'`);
  LeaseTransitions.release.apply(l, ctx);
}
