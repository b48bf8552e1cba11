import type { Container, ContainerModule } from 'inversify';
import {
  type HttpAddress,
  CHASM_CORE_VERSION,
  CORE_MIGRATIONS,
  openMigratedDatabase,
  TOKENS,
  routeKey,
  type AnyChasmPlugin,
  type HttpRoute,
  type ExecutionStore,
  type Library,
  type NamespaceResolver,
  type MigrationSet,
  type Registry,
  type RpcHandlerSet,
  type ServiceLifecycle,
} from '@chasm/core';
import { collectDefaultMetrics, Registry as MetricsRegistry } from 'prom-client';
import type { ServerConfig } from './config/server-config.js';
import { createContainer, getAllOptional } from './container.js';
import type { LocalServiceClient } from './grpc/local-service-client.js';
import { GrpcFrontDoor, servedProtoMethods } from './grpc/grpc-server.js';
import { key } from './grpc/handler-table.js';
import { HttpFrontDoor } from './http/http-server.js';
import { httpApiRoutes } from './http-api/http-api-routes.js';
import { inspectorRoutes } from './chasm-inspector/inspector-routes.js';
import { UiAssets } from './ui/ui-assets.js';
import { join } from 'node:path';
import { HttpApiMetrics } from './metrics/http-api-metrics.js';
import { createLogger, defaultLogFormat, type Logger } from './logging/logger.js';
import { probePort } from './ports/probe-port.js';
import { startTracing } from './telemetry/start-tracing.js';
import type { Tracing } from './telemetry/tracing.js';
import { MetricsServer } from './metrics/metrics-server.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { RpcMetrics } from './metrics/rpc-metrics.js';
import { checkPlugins } from './plugins/check-plugins.js';
import { authorizeRoutes } from './http/authorized-routes.js';
import { grpcServerCredentials } from './tls/grpc-credentials.js';
import { loadPlugins, type PluginCatalogue } from './plugins/load-plugins.js';
import { PluginSetError } from './plugins/plugin-errors.js';
import { coreModule } from './modules/core-module.js';
import { IdleGc } from './memory/idle-gc.js';
import { ServerTokens } from './server-tokens.js';
import type { ServerFeatures } from './system/server-features.js';
import type { TlsConfig } from './tls/tls-config.js';

export interface StartOptions {
  /** Plugins a config may name by a short name (the server app's built-ins). */
  readonly catalogue?: PluginCatalogue;
  /** Plugins loaded besides those the config names (tests, embedding applications). */
  readonly plugins?: readonly AnyChasmPlugin[];
  /** Where package names in the config are resolved from (default: the working directory). */
  readonly resolveFrom?: string;
  /** Extra raw modules loaded after the plugins (tests only: they declare nothing). */
  readonly modules?: readonly ContainerModule[];
  /** Use this logger instead of creating one from `config.log`. */
  readonly logger?: Logger;
  /** The built web UI's folder (the app resolves its `@chasm/ui`); `config.ui.assetsDir` wins. */
  readonly uiAssetsDir?: string;
}

export interface RunningServer {
  /** 'host:port' the gRPC front door listens on. */
  readonly address: string;
  readonly port: number;
  /** Bound port of `/metrics`, if enabled. */
  readonly metricsPort: number | undefined;
  /** Bound port of the plugins' HTTP routes, if enabled. */
  readonly httpPort: number | undefined;
  /** Bound port of the web UI, if enabled and the UI package is installed. */
  readonly uiPort: number | undefined;
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
  const logger = options.logger ?? createLogger(config.log.level, undefined, config.log.format ?? defaultLogFormat());
  const metrics = new MetricsRegistry();
  // The plugin set is checked before anything is opened: a bad set fails fast, in one line.
  const plugins = [...(await loadPlugins(config.packages, options.catalogue ?? {}, options.resolveFrom)), ...(options.plugins ?? [])];
  const checked = checkPlugins(plugins, config.settings ?? {}, servedProtoMethods());
  const modules = [coreModule, ...checked.modules, ...(options.modules ?? [])];

  const undo: (() => Promise<void>)[] = [];
  const rollback = async (): Promise<void> => {
    for (const step of undo.reverse()) {
      await step().catch((e: unknown) => logger.error({ err: e }, 'error while stopping'));
    }
    undo.length = 0;
  };

  const t0 = performance.now();
  try {
    // Ports the user chose are checked before the slow part of the start (ADR 0029).
    await probePort('gRPC', config.grpc.host, config.grpc.port);
    for (const [name, l] of [['http', config.http], ['metrics', config.metrics], ['ui', config.ui]] as const) {
      if (l && !l.orFreePort) await probePort(name, l.host, l.port);
    }
    // Before the container: the engine's commit spans need the tracer at construction.
    let tracing: Tracing | undefined;
    if (config.telemetry?.traces) {
      const started = await startTracing(config.telemetry.traces, logger);
      tracing = started;
      undo.push(() => started.shutdown());
    }
    // Modules are loaded before the database is opened: their migration sets are constants,
    // and knowing them first lets an embedded cluster boot from a dump that already has them.
    // Nothing resolves a binding that needs the database until it is bound below.
    const container = await createContainer({ config, logger, metrics, tracing }, modules);
    const sets = [CORE_MIGRATIONS, ...getAllOptional<MigrationSet>(container, TOKENS.Migrations)];
    checkMigrationTables(sets);
    const opened = await openMigratedDatabase(config.database, sets).catch(async (e: unknown) => {
      await container.unbindAll();
      throw e;
    });
    const database = opened.database;
    undo.push(() => database.close());
    undo.push(async () => {
      await container.unbindAll();
    });
    container.bind(TOKENS.Database).toConstantValue(database);
    logger.debug({ tables: sets.map((s) => s.table), schema: opened.schema }, 'migrations applied');

    const registry = container.get<Registry>(TOKENS.Registry);
    for (const library of getAllOptional<Library>(container, TOKENS.Library)) registry.register(library);

    const pluginHandlers = getAllOptional<RpcHandlerSet>(container, TOKENS.RpcHandlers);
    if (!options.modules?.length) {
      // A plugin serves only what it declared: the declaration is what GetSystemInfo, the
      // docs and the set check rely on. (Raw test modules declare nothing and skip this.)
      for (const set of pluginHandlers) {
        for (const method of Object.keys(set.methods)) {
          if (!checked.declared.has(key(set.service, method))) throw new PluginSetError(`${method} is served but no loaded package declares it`);
        }
      }
    }
    const routes = getAllOptional<HttpRoute | readonly HttpRoute[]>(container, TOKENS.HttpRoutes).flat();
    for (const route of routes) {
      if (!checked.declaredRoutes.has(routeKey(route))) throw new PluginSetError(`HTTP route ${routeKey(route)} is served but no loaded package declares it`);
    }
    const grpcLogger = logger.child({ component: 'grpc' });
    // Imported only when configured: the JWT mapper brings jose (~46 modules) into every boot otherwise.
    const auth = config.auth ? await (await import('./auth/create-call-authorizer.js')).createCallAuthorizer(config.auth, container, grpcLogger, metrics) : undefined;
    const frontDoor = new GrpcFrontDoor({
      handlerSets: [...getAllOptional<RpcHandlerSet>(container, ServerTokens.CoreRpcHandlers), ...pluginHandlers],
      logger: grpcLogger,
      metrics: new RpcMetrics(metrics),
      credentials: grpcServerCredentials(config.grpc.tls),
      ...(auth ? { auth } : {}),
      registry: metrics,
      ...(config.limits ? { limits: config.limits } : {}),
      ...(tracing ? { tracer: tracing.rpc } : {}),
    });
    container.get<ServerFeatures>(ServerTokens.Features).setImplemented(frontDoor.implementedMethods());
    frontDoor.attachLocalClient(container.get<LocalServiceClient>(TOKENS.ServiceClient));

    for (const service of getAllOptional<ServiceLifecycle>(container, TOKENS.Service)) {
      await service.start();
      undo.push(() => service.stop());
      logger.debug({ service: service.name }, 'service started');
    }

    const port = await frontDoor.start(config.grpc.host, config.grpc.port);
    undo.push(() => frontDoor.stop());

    // Temporal's HTTP API and the CHASM inspector, served on the HTTP port and the UI's.
    const apiRoutes = [
      ...httpApiRoutes({ frontDoor, logger: logger.child({ component: 'http-api' }), metrics: new HttpApiMetrics(metrics) }),
      ...inspectorRoutes({
        frontDoor,
        store: container.get<ExecutionStore>(TOKENS.ExecutionStore),
        registry,
        namespaces: container.get<NamespaceResolver>(TOKENS.Namespaces),
      }),
    ];
    const httpMetrics = new HttpMetrics(metrics);
    let httpPort: number | undefined;
    if (config.http) {
      // A plugin's route wins over a binding on the same method and path (as routes registered
      // beside Temporal's gateway do).
      const taken = new Set(routes.map(routeShape));
      // Plugins' routes pass the same auth gate as gRPC; the HTTP API's calls meet it in the
      // front door's call path already.
      const pluginRoutes = auth ? authorizeRoutes(routes, auth) : routes;
      const http = new HttpFrontDoor([...pluginRoutes, ...apiRoutes.filter((r) => !taken.has(routeShape(r)))], logger.child({ component: 'http' }), httpMetrics, config.http.tls);
      httpPort = await http.start(config.http.host, config.http.port, config.http.orFreePort === true);
      undo.push(() => http.stop());
      container.get<HttpAddress>(TOKENS.HttpAddress).set(httpBaseUrl(config.http.host, httpPort, config.http.tls !== undefined));
    } else if (routes.length > 0) {
      logger.info({ routes: routes.length }, 'plugins contribute HTTP routes, but no http port is configured');
    }

    let uiPort: number | undefined;
    if (config.ui) {
      // The UI and the API on one origin (no CORS, no proxy hop): the UI's listener answers
      // /api/v1 itself through the same routes, and everything else from the UI's files.
      const dir = config.ui.assetsDir ?? options.uiAssetsDir ?? UiAssets.find(join(options.resolveFrom ?? process.cwd(), 'package.json'));
      if (dir === undefined) {
        logger.warn('the web UI is configured but @chasm/ui is not installed (or not built): no UI is served');
      } else {
        const assets = UiAssets.load(dir, metrics);
        // Only /api/v1: Temporal also binds /namespaces/… (no prefix), which are the app's own deep links here.
        const ui = new HttpFrontDoor(apiRoutes.filter((r) => r.path.startsWith('/api/')), logger.child({ component: 'ui' }), httpMetrics, config.ui.tls, assets.serve);
        uiPort = await ui.start(config.ui.host, config.ui.port, config.ui.orFreePort === true);
        undo.push(() => ui.stop());
      }
    }

    let metricsPort: number | undefined;
    if (config.metrics) {
      // Default process metrics only when exported: they start timers per registry.
      collectDefaultMetrics({ register: metrics });
      const metricsServer = new MetricsServer(metrics, config.metrics.tls);
      metricsPort = await metricsServer.start(config.metrics.host, config.metrics.port, config.metrics.orFreePort === true);
      undo.push(() => metricsServer.stop());
    }

    if (config.idleGc) {
      const idleGc = new IdleGc(logger.child({ component: 'memory' }), metrics);
      idleGc.start();
      undo.push(async () => idleGc.stop());
    }

    const address = `${config.grpc.host}:${port}`;
    logger.info(
      {
        address,
        metricsPort,
        httpPort,
        uiPort,
        // Whether each listener speaks TLS / asks for client certificates, and whether calls are authorized.
        tls: { grpc: tlsMode(config.grpc.tls), metrics: tlsMode(config.metrics?.tls), http: tlsMode(config.http?.tls) },
        auth: config.auth ? 'on' : 'off',
        traces: config.telemetry?.traces ? 'on' : 'off',
        database: config.database.kind,
        core: CHASM_CORE_VERSION,
        plugins: plugins.map((p) => `${p.name}@${p.version}`),
        libraries: registry.libraryNames(),
        // Where start-up time goes: opening the database (PGlite: load or initdb), migrations,
        // and the rest (container, services, listeners).
        startupMs: {
          database: Math.round(opened.openMs),
          migrations: Math.round(opened.migrateMs),
          total: Math.round(performance.now() - t0),
        },
        // 'prepared-dump': the embedded cluster came from a dump that already had every migration.
        schema: opened.schema,
      },
      'server started',
    );

    let stopping: Promise<void> | undefined;
    return {
      address,
      port,
      metricsPort,
      httpPort,
      uiPort,
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

/** Two packages sharing a migration table would see each other's migrations as unknown. */
function checkMigrationTables(sets: readonly MigrationSet[]): void {
  const tables = new Set<string>();
  for (const set of sets) {
    if (tables.has(set.table)) throw new Error(`two packages use the migration table '${set.table}'`);
    tables.add(set.table);
  }
}

/** A route's method and path with parameter names erased: two such routes collide in the router. */
function routeShape(route: Pick<HttpRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
}

/** The URL others reach the HTTP port at: a wildcard listen address is reached on loopback. */
function httpBaseUrl(host: string, port: number, tls: boolean): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${h}:${port}`;
}

function tlsMode(tls: TlsConfig | undefined): 'off' | 'tls' | 'mtls' {
  return tls === undefined ? 'off' : tls.clientCaFile !== undefined ? 'mtls' : 'tls';
}
