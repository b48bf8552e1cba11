import type { DatabaseConfig } from '@chasm/core';
import type { LogLevel } from '../logging/logger.js';

/** A namespace registered at start-up if it does not exist yet. */
export interface NamespaceSeed {
  readonly name: string;
  readonly description?: string;
  /** Defaults to 24 h. */
  readonly retentionSeconds?: number;
}

/** Everything a server needs to start; produced by `parseConfig` (YAML) or `devConfig` (CLI). */
export interface ServerConfig {
  readonly database: DatabaseConfig;
  /** Number of history shards. Fixed when the cluster is created. */
  readonly shards: number;
  readonly grpc: { readonly host: string; readonly port: number };
  /** Prometheus `/metrics` endpoint; absent = disabled. */
  readonly metrics?: { readonly host: string; readonly port: number };
  /** Packages to load by name (see packages.ts) or module path. 'core' is always loaded. */
  readonly packages: readonly string[];
  readonly namespaces: readonly NamespaceSeed[];
  readonly log: { readonly level: LogLevel };
}

export const DEFAULT_GRPC_PORT = 7233;
export const DEFAULT_METRICS_PORT = 7239;
export const DEFAULT_SHARDS = 4;
export const DEFAULT_NAMESPACE = 'default';

/** Feature packages the dev server loads unless told otherwise: everything installed. */
export const DEV_PACKAGES: readonly string[] = ['matching', 'standalone-activity', 'workflow', 'workflow-update'];

/** The dev server: 127.0.0.1:7233, PGlite (in memory unless `dataDir`), namespace `default`. */
export function devConfig(options: {
  port?: number;
  host?: string;
  dataDir?: string;
  metricsPort?: number | null;
  logLevel?: LogLevel;
  packages?: readonly string[];
  namespaces?: readonly string[];
}): ServerConfig {
  const metricsPort = options.metricsPort === undefined ? DEFAULT_METRICS_PORT : options.metricsPort;
  const host = options.host ?? '127.0.0.1';
  return {
    database: options.dataDir ? { kind: 'pglite', dataDir: options.dataDir } : { kind: 'pglite' },
    shards: DEFAULT_SHARDS,
    grpc: { host, port: options.port ?? DEFAULT_GRPC_PORT },
    ...(metricsPort === null ? {} : { metrics: { host, port: metricsPort } }),
    packages: options.packages ?? DEV_PACKAGES,
    namespaces: (options.namespaces ?? [DEFAULT_NAMESPACE]).map((name) => ({ name })),
    log: { level: options.logLevel ?? 'info' },
  };
}
