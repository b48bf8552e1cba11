import type { DatabaseConfig } from '@chasm/core';
import type { LogFormat, LogLevel } from '../logging/logger.js';
import { DEFAULT_TRACES_SERVICE_NAME, type TracesConfig } from '../telemetry/traces-config.js';
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

/** A listener besides gRPC. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsConfig;
  /**
   * A taken port falls back to a free one (the bound port is in the banner and start-up line):
   * set by the dev server on ports the user did not ask for, never on an explicit one.
   */
  readonly orFreePort?: boolean;
}

/** Everything a server needs to start; produced by `parseConfig` (YAML) or `devConfig` (CLI). */
export interface ServerConfig {
  readonly database: DatabaseConfig;
  /** Number of history shards. Fixed when the cluster is created. */
  readonly shards: number;
  readonly grpc: { readonly host: string; readonly port: number; readonly tls?: TlsConfig };
  /** Prometheus `/metrics` endpoint; absent = disabled. */
  readonly metrics?: Listener;
  /** The HTTP port serving plugins' HTTP routes; absent = disabled. */
  readonly http?: Listener;
  /**
   * The web UI (the `@chasm/ui` package's files, Temporal's HTTP API and the CHASM inspector on
   * one origin); absent = off, the production default. `assetsDir` overrides where the built UI is.
   */
  readonly ui?: Listener & { readonly assetsDir?: string };
  /** Authentication and authorization of gRPC calls; absent = open (the dev default). */
  readonly auth?: AuthConfig;
  /** Plugins to load: catalogue names, package names or module paths. 'core' is always loaded. */
  readonly packages: readonly string[];
  /** Per-plugin settings by plugin name, each validated by that plugin's config schema. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly namespaces: readonly NamespaceSeed[];
  /** `format` absent: human-readable on a terminal, JSON lines otherwise. */
  readonly log: { readonly level: LogLevel; readonly format?: LogFormat };
  /** OpenTelemetry; absent = no traces (ADR 0029). */
  readonly telemetry?: { readonly traces?: TracesConfig };
  /** Front-door rate and concurrency limits; absent = the defaults (DEFAULT_RPC_LIMITS). */
  readonly limits?: RpcLimits;
  /** The engine's cache of loaded executions; absent = 10,000 executions, 60 s idle. */
  readonly executionCache?: { readonly maxExecutions?: number; readonly idleMs?: number };
  /** DeleteNamespace's background purge (ADR 0036); absent = Temporal's defaults. */
  readonly namespaceDeletion?: NamespaceDeletionConfig;
  /** One full garbage collection when the process goes quiet after work (ADR 0038); the dev server's default. */
  readonly idleGc?: boolean;
}

/** How a deleted namespace goes (ADR 0036). */
export interface NamespaceDeletionConfig {
  /**
   * How long a deleted namespace's row stays (DescribeNamespace by id, ListNamespaces with
   * include_deleted) once its data is gone, unless DeleteNamespace's namespace_delete_delay says.
   * Temporal's frontend.deleteNamespaceNamespaceDeleteDelay; default 0.
   */
  readonly delayMs?: number;
  /** How long after a delete new executions may still land (name caches, requests in flight); default 12 s. */
  readonly settleMs?: number;
}

export const DEFAULT_GRPC_PORT = 7233;
export const DEFAULT_METRICS_PORT = 7239;
/** The HTTP port (Temporal's HTTP API, plugins' routes) of the dev server, as Temporal's. */
export const DEFAULT_HTTP_PORT = 7243;
/** The web UI of the dev server, as Temporal's. */
export const DEFAULT_UI_PORT = 8233;
export const DEFAULT_SHARDS = 4;
export const DEFAULT_NAMESPACE = 'default';

/**
 * Where the dev server's other ports go when only the gRPC port is given: at the same offsets
 * from it as Temporal's defaults are from 7233 (metrics +6, HTTP +10, UI +1000, the rule of
 * Temporal's CLI for its UI), so `--port 7300` gives 7306, 7310 and 8300. A followed port
 * that is taken falls back to a free one (ADR 0029).
 */
export const FOLLOWING_PORT_OFFSETS = { metrics: DEFAULT_METRICS_PORT - DEFAULT_GRPC_PORT, http: DEFAULT_HTTP_PORT - DEFAULT_GRPC_PORT, ui: DEFAULT_UI_PORT - DEFAULT_GRPC_PORT } as const;

/** A port that follows the gRPC port; 0 (any free port) past the end of the port range or for --port 0. */
export function followingPort(grpcPort: number, offset: number): number {
  const p = grpcPort + offset;
  return grpcPort === 0 || p > 65_535 ? 0 : p;
}

/**
 * The dev server: 127.0.0.1:7233, PGlite (in memory unless `dataDir`), namespace `default`,
 * metrics on 7239, HTTP on 7243, UI on 8233 when a UI is installed. Ports not given follow
 * the gRPC port (FOLLOWING_PORT_OFFSETS) and fall back to free ones when taken, so that two
 * dev servers differing only by `--port` start side by side; a port given explicitly is used
 * as is, and a taken one stops the start in one line.
 */
export function devConfig(options: {
  port?: number;
  host?: string;
  dataDir?: string;
  metricsPort?: number | null;
  /** Serve Temporal's HTTP API and plugins' HTTP routes on this port; null: off. */
  httpPort?: number | null;
  /** The web UI's port; null: off; undefined: the following port if `uiInstalled`, else off. */
  uiPort?: number | null;
  /** Whether a UI package can serve the UI (the CLI checks @chasm/ui resolves). */
  uiInstalled?: boolean;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** Export traces to this OTLP/HTTP endpoint. */
  tracesEndpoint?: string;
  packages?: readonly string[];
  namespaces?: readonly string[];
}): ServerConfig {
  const grpcPort = options.port ?? DEFAULT_GRPC_PORT;
  const host = options.host ?? '127.0.0.1';
  const listener = (given: number | null | undefined, offset: number, listenHost: string, enabled = true): { listener?: Listener } => {
    if (given === null || (given === undefined && !enabled)) return {};
    if (given !== undefined) return { listener: { host: listenHost, port: given } };
    return { listener: { host: listenHost, port: followingPort(grpcPort, offset), orFreePort: true } };
  };
  const metrics = listener(options.metricsPort, FOLLOWING_PORT_OFFSETS.metrics, '127.0.0.1').listener;
  const http = listener(options.httpPort, FOLLOWING_PORT_OFFSETS.http, host).listener;
  const ui = listener(options.uiPort, FOLLOWING_PORT_OFFSETS.ui, host, options.uiInstalled === true).listener;
  return {
    // In memory, the dev server boots from a dump prepared after its migrations (ADR 0033).
    database: options.dataDir ? { kind: 'pglite', dataDir: options.dataDir } : { kind: 'pglite', preparedDump: true },
    shards: DEFAULT_SHARDS,
    grpc: { host, port: grpcPort },
    ...(metrics ? { metrics } : {}),
    ...(http ? { http } : {}),
    ...(ui ? { ui } : {}),
    packages: options.packages ?? [],
    namespaces: (options.namespaces ?? [DEFAULT_NAMESPACE]).map((name) => ({ name })),
    log: { level: options.logLevel ?? 'info', ...(options.logFormat ? { format: options.logFormat } : {}) },
    // A dev server mostly waits: its idle RSS is what a laptop pays for it (ADR 0038).
    idleGc: true,
    ...(options.tracesEndpoint !== undefined
      ? { telemetry: { traces: { exporter: 'otlp', endpoint: options.tracesEndpoint, serviceName: DEFAULT_TRACES_SERVICE_NAME } } }
      : {}),
  };
}
