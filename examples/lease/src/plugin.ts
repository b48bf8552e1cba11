import { definePlugin, packageCoreRange, packageVersion } from '@chasm/core';
import { leaseConfigSchema } from './config.js';
import { LEASE_ROUTES } from './http/lease-routes.js';
import { leaseModule } from './module.js';

/**
 * The lease plugin. A server loads it by package name or path in its config:
 *
 *     packages: [@chasm-examples/lease]      # or ./node_modules/@chasm-examples/lease/dist/index.js
 *     settings: { lease: { maxTtlMs: 600000 } }
 *     http: { port: 7243 }
 */
export const leasePlugin = definePlugin({
  name: 'lease',
  version: packageVersion(import.meta.url),
  description: 'named, timer-backed leases with an HTTP API (an example plugin)',
  // peerDependencies['@chasm/core'] of package.json: the server refuses a core outside it.
  coreApi: packageCoreRange(import.meta.url),
  config: leaseConfigSchema,
  routes: [...LEASE_ROUTES],
  module: (config) => leaseModule(config),
});

export default leasePlugin;
