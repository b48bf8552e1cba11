import type { DatabaseConfig } from '@chasm/core';
import type { ServerConfig } from './config/server-config.js';

/** What the dev server's banner shows: bound ports (a followed port may have fallen back to a free one). */
export interface BannerInfo {
  readonly config: ServerConfig;
  readonly grpcPort: number;
  readonly httpPort: number | undefined;
  readonly metricsPort: number | undefined;
  /** The UI's port, when a UI is served. */
  readonly uiPort: number | undefined;
}

/**
 * The dev server's greeting: where to point an SDK, a browser, curl and Prometheus, which
 * namespaces exist and where the data lives. Printed once, for people; the 'server started'
 * log line carries the same facts for machines.
 */
export function formatBanner(info: BannerInfo): string {
  const { config } = info;
  const tls = (t: unknown): string => (t === undefined ? 'http' : 'https');
  const rows: [string, string][] = [['gRPC', hostPort(config.grpc.host, info.grpcPort)]];
  if (config.http && info.httpPort !== undefined) rows.push(['HTTP API', `${tls(config.http.tls)}://${hostPort(config.http.host, info.httpPort)}/api/v1/namespaces`]);
  if (config.ui && info.uiPort !== undefined) rows.push(['Web UI', `${tls(config.ui.tls)}://${hostPort(config.ui.host, info.uiPort)}`]);
  if (config.metrics && info.metricsPort !== undefined) rows.push(['Metrics', `${tls(config.metrics.tls)}://${hostPort(config.metrics.host, info.metricsPort)}/metrics`]);
  rows.push([config.namespaces.length === 1 ? 'Namespace' : 'Namespaces', config.namespaces.map((n) => n.name).join(', ') || '(none)']);
  rows.push(['Store', describeStore(config.database)]);
  if (config.telemetry?.traces) rows.push(['Traces', `OTLP to ${withoutCredentials(config.telemetry.traces.endpoint)}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return ['', 'CHASM dev server is ready', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), ''].join('\n');
}

/** The store in words, never with credentials (a Postgres URL loses its user and password). */
export function describeStore(database: DatabaseConfig): string {
  if (database.kind === 'postgres') return `Postgres ${withoutCredentials(database.url)}`;
  return database.dataDir === undefined ? 'PGlite in memory (gone when the server stops; --db-file DIR keeps it)' : `PGlite in ${database.dataDir}`;
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** How a client reaches a listener: a wildcard address is reached on loopback. */
function hostPort(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `${h}:${port}`;
}
