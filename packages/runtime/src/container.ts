import type { Tracing, TracingHolder } from './telemetry/tracing.js';
import { Container, type ContainerModule } from 'inversify';
import { HttpAddress, TOKENS } from '@chasm/core';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { ServerConfig } from './config/server-config.js';
import { ServerTokens } from './server-tokens.js';
import { ServerFeatures } from './system/server-features.js';
import { LocalServiceClient } from './grpc/local-service-client.js';

export interface ContainerBase {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  /** OpenTelemetry tracing, when `telemetry.traces` is configured. */
  readonly tracing?: Tracing | undefined;
}

/**
 * The DI container: infrastructure the server opened itself (logger, metrics, config) as
 * constants, then every package module. The server binds TOKENS.Database once it has opened it
 * (after reading the modules' migration sets). Singleton by default, so a package's
 * `toResolvedValue` binding builds its service once.
 */
export async function createContainer(base: ContainerBase, modules: readonly ContainerModule[]): Promise<Container> {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind(ServerTokens.Config).toConstantValue(base.config);
  container.bind(TOKENS.Logger).toConstantValue(base.logger);
  container.bind(TOKENS.Metrics).toConstantValue(base.metrics);
  // A holder, since a binding cannot be undefined: the engine reads its commit tracer from it.
  container.bind(ServerTokens.Tracing).toConstantValue({ tracing: base.tracing } satisfies TracingHolder);
  container.bind(ServerTokens.Features).toConstantValue(new ServerFeatures());
  // Set once the HTTP front door listens (server.ts).
  container.bind(TOKENS.HttpAddress).toConstantValue(new HttpAddress());
  // Attached to the routing table once the front door has built it (server.ts).
  container.bind(TOKENS.ServiceClient).toConstantValue(new LocalServiceClient());
  await container.load(...modules);
  return container;
}

/** All values bound to a multi-bound token (empty when no package contributes one). */
export function getAllOptional<T>(container: Container, token: symbol): T[] {
  return container.getAll<T>(token, { optional: true });
}
