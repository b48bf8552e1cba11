/**
 * @module @chasm/server/testing
 * Start a real server in-process for end-to-end tests: gRPC on 127.0.0.1, port 0 by default,
 * PGlite in memory unless a database is given, namespace `default` registered.
 */
import type { Container, ContainerModule } from 'inversify';
import type { DatabaseConfig } from '@chasm/core';
import type { ServerConfig } from '../config/server-config.js';
import type { LogLevel } from '../logging/logger.js';
import { startServer } from '../server.js';

export interface TestServerOptions {
  /** Package names from the catalogue (or module paths); 'core' is implied. */
  readonly packages?: readonly string[];
  /** Extra modules, e.g. a fake package contributing handlers. */
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
}

export interface TestServer extends AsyncDisposable {
  /** '127.0.0.1:PORT', ready for `Connection.connect({ address })`. */
  readonly address: string;
  readonly port: number;
  readonly metricsPort: number | undefined;
  readonly container: Container;
  readonly config: ServerConfig;
  stop(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const host = '127.0.0.1';
  const config: ServerConfig = {
    database: options.database ?? { kind: 'pglite' },
    shards: options.shards ?? 4,
    grpc: { host, port: options.port ?? 0 },
    ...(options.metricsPort !== undefined ? { metrics: { host, port: options.metricsPort } } : {}),
    packages: options.packages ?? [],
    namespaces: (options.namespaces ?? ['default']).map((name) => ({ name })),
    log: { level: options.logLevel ?? ((process.env['CHASM_TEST_LOG_LEVEL'] as LogLevel | undefined) ?? 'silent') },
  };
  const server = await startServer(config, { modules: options.modules ?? [] });
  return {
    address: server.address,
    port: server.port,
    metricsPort: server.metricsPort,
    container: server.container,
    config,
    stop: () => server.stop(),
    [Symbol.asyncDispose]: () => server.stop(),
  };
}
