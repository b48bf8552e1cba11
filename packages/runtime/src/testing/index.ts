/**
 * @module @chasm/runtime/testing
 * Start a real server in-process for end-to-end tests: gRPC on 127.0.0.1, port 0 by default,
 * PGlite in memory unless a database is given, namespace `default` registered.
 */
import type { ContainerModule } from 'inversify';
import type { AnyChasmPlugin, DatabaseConfig } from '@chasm/core';
import type { NamespaceDeletionConfig, ServerConfig } from '../config/server-config.js';
import type { LogLevel } from '../logging/logger.js';
import type { TlsConfig } from '../tls/tls-config.js';
import type { AuthConfig } from '../auth/auth-config.js';
import type { TracesConfig } from '../telemetry/traces-config.js';
import type { PluginCatalogue } from '../plugins/load-plugins.js';
import { referencePlugin } from '../plugins/reference-plugin.js';
import { startServer, type RunningServer } from '../server.js';

export { referencePlugin } from '../plugins/reference-plugin.js';
export { spawnRuntime, RUNTIME_CLI, pluginPath, type RuntimeProcessOptions } from './runtime-process.js';

export interface TestServerOptions {
  /** The plugins to load, in-process ('core' is implied). */
  readonly plugins?: readonly AnyChasmPlugin[];
  /** Names to load from `catalogue` or as module specifiers (like a config file's `packages:`). */
  readonly packages?: readonly string[];
  /** Short names `packages` may use; default: `tests` (the reference library). */
  readonly catalogue?: PluginCatalogue;
  /** Per-plugin settings, as in a config file's `settings:`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Extra raw modules, e.g. a fake package contributing handlers (they skip the declaration check). */
  readonly modules?: readonly ContainerModule[];
  readonly database?: DatabaseConfig;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly namespaces?: readonly string[];
  readonly shards?: number;
  /** Defaults to $CHASM_TEST_LOG_LEVEL, else 'silent'. */
  readonly logLevel?: LogLevel;
  /** Serve /metrics on this port (0 = any free port); disabled by default. */
  readonly metricsPort?: number;
  /** Serve plugins' HTTP routes on this port (0 = any free port); disabled by default. */
  readonly httpPort?: number;
  /** Serve the web UI on this port (0 = any free port) from `uiAssetsDir`; disabled by default. */
  readonly uiPort?: number;
  /** The built UI's folder (needed with `uiPort`). */
  readonly uiAssetsDir?: string;
  /** TLS (mTLS with `clientCaFile`) on the gRPC port. */
  readonly grpcTls?: TlsConfig;
  /** TLS on the metrics port. */
  readonly metricsTls?: TlsConfig;
  /** Authorize gRPC calls, as a config file's `auth:`. */
  readonly auth?: AuthConfig;
  /** Export OpenTelemetry traces, as a config file's `telemetry.traces`. */
  readonly traces?: TracesConfig;
  /** DeleteNamespace's delay and settle window, as a config file's `namespaceDeletion:`. */
  readonly namespaceDeletion?: NamespaceDeletionConfig;
}

/** A running server (`address` is '127.0.0.1:PORT', ready for `Connection.connect`); `await using` stops it. */
export interface TestServer extends RunningServer, AsyncDisposable {}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const host = '127.0.0.1';
  const config: ServerConfig = {
    database: options.database ?? { kind: 'pglite' },
    shards: options.shards ?? 4,
    grpc: { host, port: options.port ?? 0, ...(options.grpcTls ? { tls: options.grpcTls } : {}) },
    ...(options.metricsPort !== undefined ? { metrics: { host, port: options.metricsPort, ...(options.metricsTls ? { tls: options.metricsTls } : {}) } } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.httpPort !== undefined ? { http: { host, port: options.httpPort } } : {}),
    ...(options.uiPort !== undefined ? { ui: { host, port: options.uiPort, ...(options.uiAssetsDir !== undefined ? { assetsDir: options.uiAssetsDir } : {}) } } : {}),
    packages: options.packages ?? [],
    ...(options.settings ? { settings: options.settings } : {}),
    namespaces: (options.namespaces ?? ['default']).map((name) => ({ name })),
    // JSON whatever the terminal: a test's log lines are read by tools, not by eye.
    log: { level: options.logLevel ?? ((process.env['CHASM_TEST_LOG_LEVEL'] as LogLevel | undefined) ?? 'silent'), format: 'json' },
    ...(options.traces ? { telemetry: { traces: options.traces } } : {}),
    ...(options.namespaceDeletion ? { namespaceDeletion: options.namespaceDeletion } : {}),
  };
  const server = await startServer(config, {
    catalogue: options.catalogue ?? { tests: async () => referencePlugin },
    plugins: options.plugins ?? [],
    modules: options.modules ?? [],
  });
  return { ...server, [Symbol.asyncDispose]: () => server.stop() };
}
