import { lease } from '../library.js';
import { Lease } from './lease.js';
import { ExpireLease } from './lease.tasks.js';

/** What the plugin registers: the lease component and its expiry timer. */
export const leaseLibrary = lease.build({ components: [Lease], tasks: [ExpireLease] });
