/**
 * @module @chasm-examples/lease
 * An example third-party CHASM plugin: named leases, each its own execution, freed by a timer
 * when their holder stops renewing them, served over HTTP.
 */
export { leasePlugin, leasePlugin as default } from './plugin.js';
export { Lease, newLeaseState, type LeaseComponent, type LeaseState, type LeaseStatus } from './lease/lease.js';
export { LeaseTransitions, type Grant } from './lease/lease.transitions.js';
export { ExpireLease } from './lease/lease.tasks.js';
export { acquireLease, releaseLease } from './lease/lease-ops.js';
export { leaseLibrary } from './lease/lease-library.js';
export { leaseModule } from './module.js';
export { DEFAULT_LEASE_CONFIG, leaseConfigSchema, type LeaseConfig } from './config.js';
export { LeaseHeldError } from './errors.js';
