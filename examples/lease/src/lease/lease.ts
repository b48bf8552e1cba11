import type { ComponentOf } from '@chasm/core';
import { lease } from '../library.js';

export type LeaseStatus = 'free' | 'held';

/** State of one named lease. Times are epoch milliseconds. */
export interface LeaseState {
  name: string;
  status: LeaseStatus;
  holder: string | null;
  expiresAt: number | null;
  /** Bumped at every grant, renewal and release: an expiry timer carries the stamp it was set for. */
  stamp: number;
  /** How many times the lease was granted (renewals excluded). */
  grants: number;
}

/**
 * A lease: the root of its own execution (archetype `lease.lease`), one per name and
 * namespace. It never closes; a held lease frees itself when its expiry timer fires.
 */
export const Lease = lease.component({
  name: 'lease',
  lifecycle: () => 'running',
  searchAttributeTypes: { LeaseHolder: 'Keyword', LeaseHeld: 'Bool' },
  searchAttributes: (s: LeaseState) => ({ LeaseHolder: s.holder, LeaseHeld: s.status === 'held' }),
});
export type LeaseComponent = ComponentOf<typeof Lease>;

export const newLeaseState = (name: string): LeaseState => ({ name, status: 'free', holder: null, expiresAt: null, stamp: 0, grants: 0 });
