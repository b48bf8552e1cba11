import type { DatabaseConfig } from '@chasm/core';
import type { LogLevel } from '../logging/logger.js';
import type { RpcLimits } from '../limits/rpc-limits.js';

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
  /** The HTTP port serving plugins' HTTP routes; absent = disabled. */
  readonly http?: { readonly host: string; readonly port: number };
  /** Plugins to load: catalogue names, package names or module paths. 'core' is always loaded. */
  readonly packages: readonly string[];
  /** Per-plugin settings by plugin name, each validated by that plugin's config schema. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly namespaces: readonly NamespaceSeed[];
  readonly log: { readonly level: LogLevel };
  /** Front-door rate and concurrency limits; absent = the defaults (DEFAULT_RPC_LIMITS). */
  readonly limits?: RpcLimits;
}

export const DEFAULT_GRPC_PORT = 7233;
export const DEFAULT_METRICS_PORT = 7239;
export const DEFAULT_SHARDS = 4;
export const DEFAULT_NAMESPACE = 'default';

/** The dev server: 127.0.0.1:7233, PGlite (in memory unless `dataDir`), namespace `default`. */
export function devConfig(options: {
  port?: number;
  host?: string;
  dataDir?: string;
  metricsPort?: number | null;
  /** Serve plugins' HTTP routes on this port (default: off). */
  httpPort?: number;
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
    ...(metricsPort === null ? {} : { metrics: { host: '127.0.0.1', port: metricsPort } }),
    ...(options.httpPort !== undefined ? { http: { host, port: options.httpPort } } : {}),
    packages: options.packages ?? [],
    namespaces: (options.namespaces ?? [DEFAULT_NAMESPACE]).map((name) => ({ name })),
    log: { level: options.logLevel ?? 'info' },
  };
}
