import { TOKENS, type Engine, type NamespaceResolver } from '@chasm/core';
import { ContainerModule } from 'inversify';
import { DEFAULT_LEASE_CONFIG, type LeaseConfig } from './config.js';
import { leaseRoutes } from './http/lease-routes.js';
import { leaseLibrary } from './lease/lease-library.js';

/** Binds the lease library and its HTTP routes. Needs nothing but the runtime's core services. */
export const leaseModule = (config: LeaseConfig = DEFAULT_LEASE_CONFIG): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind(TOKENS.Library).toConstantValue(leaseLibrary);
    bind(TOKENS.HttpRoutes).toResolvedValue(
      (engine: Engine, namespaces: NamespaceResolver) => leaseRoutes({ engine, namespaces, config }),
      [TOKENS.Engine, TOKENS.Namespaces],
    );
  });
