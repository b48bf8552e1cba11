import type { Container, ContainerModule } from 'inversify';
import { migrate, openDatabase, TOKENS, type Database, type Library, type MigrationSet, type Registry, type RpcHandlerSet, type ServiceLifecycle } from '@chasm/core';
import { collectDefaultMetrics, Registry as MetricsRegistry } from 'prom-client';
import type { ServerConfig } from './config/server-config.js';
import { createContainer, getAllOptional } from './container.js';
import { GrpcFrontDoor } from './grpc/grpc-server.js';
import { createLogger, type Logger } from './logging/logger.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { RpcMetrics } from './metrics/rpc-metrics.js';
import { loadPackageModules } from './packages.js';
import { ServerTokens } from './server-tokens.js';
import type { ServerFeatures } from './system/server-features.js';

export interface StartOptions {
  /** Extra modules loaded after the configured packages (tests, embedding applications). */
  readonly modules?: readonly ContainerModule[];
  /** Use this logger instead of creating one from `config.log`. */
  readonly logger?: Logger;
}

export interface RunningServer {
  /** 'host:port' the gRPC front door listens on. */
  readonly address: string;
  readonly port: number;
  /** Bound port of `/metrics`, if enabled. */
  readonly metricsPort: number | undefined;
  readonly container: Container;
  readonly config: ServerConfig;
  /** Stops gRPC, services and the database, in reverse start order. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a server: load package modules, open the database, run every package's migrations,
 * register CHASM libraries, start services, then serve gRPC (and metrics). Any failure undoes
 * what was started and rethrows, so a failed start leaks no ports or connections.
 */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = new MetricsRegistry();
  // Package names are checked before anything is opened: a typo fails fast and cleanly.
  const modules = [...(await loadPackageModules(config.packages)), ...(options.modules ?? [])];

  const undo: (() => Promise<void>)[] = [];
  const rollback = async (): Promise<void> => {
    for (const step of undo.reverse()) {
      await step().catch((e: unknown) => logger.error({ err: e }, 'error while stopping'));
    }
    undo.length = 0;
  };

  try {
    const database = await openDatabase(config.database);
    undo.push(() => database.close());

    const container = await createContainer({ config, database, logger, metrics }, modules);
    undo.push(async () => {
      await container.unbindAll();
    });

    await runMigrations(database, getAllOptional<MigrationSet>(container, TOKENS.Migrations), logger);

    const registry = container.get<Registry>(TOKENS.Registry);
    for (const library of getAllOptional<Library>(container, TOKENS.Library)) registry.register(library);

    const frontDoor = new GrpcFrontDoor({
      handlerSets: getAllOptional<RpcHandlerSet>(container, TOKENS.RpcHandlers),
      logger: logger.child({ component: 'grpc' }),
      metrics: new RpcMetrics(metrics),
    });
    container.get<ServerFeatures>(ServerTokens.Features).setImplemented(frontDoor.implementedMethods());

    for (const service of getAllOptional<ServiceLifecycle>(container, TOKENS.Service)) {
      await service.start();
      undo.push(() => service.stop());
      logger.debug({ service: service.name }, 'service started');
    }

    const port = await frontDoor.start(config.grpc.host, config.grpc.port);
    undo.push(() => frontDoor.stop());

    let metricsPort: number | undefined;
    if (config.metrics) {
      // Default process metrics only when exported: they start timers per registry.
      collectDefaultMetrics({ register: metrics });
      const metricsServer = new MetricsServer(metrics);
      metricsPort = await metricsServer.start(config.metrics.host, config.metrics.port);
      undo.push(() => metricsServer.stop());
    }

    const address = `${config.grpc.host}:${port}`;
    logger.info(
      { address, metricsPort, database: config.database.kind, packages: config.packages, libraries: registry.libraryNames() },
      'server started',
    );

    let stopping: Promise<void> | undefined;
    return {
      address,
      port,
      metricsPort,
      container,
      config,
      stop: () =>
        (stopping ??= (async () => {
          logger.info({ address }, 'server stopping');
          await rollback();
          logger.info({ address }, 'server stopped');
        })()),
    };
  } catch (e) {
    await rollback();
    throw e;
  }
}

async function runMigrations(database: Database, sets: readonly MigrationSet[], logger: Logger): Promise<void> {
  const tables = new Set<string>();
  for (const set of sets) {
    // Two packages sharing a migration table would see each other's migrations as unknown.
    if (tables.has(set.table)) throw new Error(`two packages use the migration table '${set.table}'`);
    tables.add(set.table);
    await migrate(database, set.table, set.migrations);
    logger.debug({ table: set.table, count: Object.keys(set.migrations).length }, 'migrations applied');
  }
}
