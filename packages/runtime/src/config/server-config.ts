import type { DatabaseConfig } from '@chasm/core';
import type { LogLevel } from '../logging/logger.js';
import type { TlsConfig } from '../tls/tls-config.js';
import type { AuthConfig } from '../auth/auth-config.js';
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
  readonly grpc: { readonly host: string; readonly port: number; readonly tls?: TlsConfig };
  /** Prometheus `/metrics` endpoint; absent = disabled. */
  readonly metrics?: { readonly host: string; readonly port: number; readonly tls?: TlsConfig };
  /** The HTTP port serving plugins' HTTP routes; absent = disabled. */
  readonly http?: { readonly host: string; readonly port: number; readonly tls?: TlsConfig };
  /** Authentication and authorization of gRPC calls; absent = open (the dev default). */
  readonly auth?: AuthConfig;
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
/** The HTTP port (Temporal's HTTP API, plugins' routes) of the dev server, as Temporal's. */
export const DEFAULT_HTTP_PORT = 7243;
export const DEFAULT_SHARDS = 4;
export const DEFAULT_NAMESPACE = 'default';

/**
 * The dev server: 127.0.0.1:7233, PGlite (in memory unless `dataDir`), namespace `default`,
 * metrics on 7239 and HTTP on 7243. With another gRPC port and no metrics or HTTP port given,
 * those two are picked free (port 0; the start-up line says which), so that two dev servers
 * differing only by `--port` start side by side.
 */
export function devConfig(options: {
  port?: number;
  host?: string;
  dataDir?: string;
  metricsPort?: number | null;
  /** Serve Temporal's HTTP API and plugins' HTTP routes on this port; null: off. */
  httpPort?: number | null;
  logLevel?: LogLevel;
  packages?: readonly string[];
  namespaces?: readonly string[];
}): ServerConfig {
  const otherPort = options.port !== undefined && options.port !== DEFAULT_GRPC_PORT;
  const metricsPort = options.metricsPort === undefined ? (otherPort ? 0 : DEFAULT_METRICS_PORT) : options.metricsPort;
  const httpPort = options.httpPort === undefined ? (otherPort ? 0 : DEFAULT_HTTP_PORT) : options.httpPort;
  const host = options.host ?? '127.0.0.1';
  return {
    // In memory, the dev server boots from a dump prepared after its migrations (ADR 0033).
    database: options.dataDir ? { kind: 'pglite', dataDir: options.dataDir } : { kind: 'pglite', preparedDump: true },
    shards: DEFAULT_SHARDS,
    grpc: { host, port: options.port ?? DEFAULT_GRPC_PORT },
    ...(metricsPort === null ? {} : { metrics: { host: '127.0.0.1', port: metricsPort } }),
    ...(httpPort === null ? {} : { http: { host, port: httpPort } }),
    packages: options.packages ?? [],
    namespaces: (options.namespaces ?? [DEFAULT_NAMESPACE]).map((name) => ({ name })),
    log: { level: options.logLevel ?? 'info' },
  };
}
