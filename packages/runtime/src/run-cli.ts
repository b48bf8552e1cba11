/**
 * The server command line, shared by every server built on the runtime (the app in
 * @chasm/server passes its catalogue of built-in plugins):
 *   cli.js dev [--port N] [--ip HOST] [--db-file DIR] [--metrics-port N|off] [--http-port N|off] [--ui-port N|off] [--log-level L] [--log-format pretty|json] [--otlp-endpoint URL] [--namespace NAME]... [--package NAME]...
 *   cli.js start --config FILE
 */
import { parseArgs } from 'node:util';
import { loadConfigFile, ConfigError } from './config/parse-config.js';
import { devConfig, type ServerConfig } from './config/server-config.js';
import { defaultLogFormat, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './logging/logger.js';
import { formatBanner } from './dev-banner.js';
import type { PluginCatalogue } from './plugins/load-plugins.js';
import { startServer } from './server.js';

export interface CliOptions {
  /** Plugins known by short name. */
  readonly catalogue: PluginCatalogue;
  /** What `dev` loads when no --package is given. */
  readonly devPackages: readonly string[];
  /** The built web UI's folder, when the app ships one (config `ui.assetsDir` wins). */
  readonly uiAssetsDir?: string | undefined;
}

const USAGE = `usage:
  cli.js dev [--port N] [--ip HOST] [--db-file DIR] [--metrics-port N|off] [--http-port N|off] [--ui-port N|off]
             [--log-level L] [--log-format pretty|json] [--otlp-endpoint URL] [--namespace NAME]... [--package NAME]...
      dev server: gRPC on 127.0.0.1:7233, embedded PGlite (in memory, or persistent in DIR),
      namespace 'default' registered, Prometheus metrics on :7239/metrics, Temporal's HTTP API
      on :7243/api/v1/, web UI on :8233 when installed. Ports not given follow --port
      (metrics +6, HTTP +10, UI +1000) and take a free port when that one is taken.
      Logs are readable on a terminal and JSON otherwise (--log-format overrides);
      --otlp-endpoint exports OpenTelemetry traces (e.g. http://127.0.0.1:4318/v1/traces)
  cli.js start --config FILE
      server from a YAML config (database, shards, grpc, metrics, packages, namespaces, log)`;

/** Runs the CLI; start-up errors are printed in one line and exit the process with 1. */
export function runCli(argv: readonly string[], options: CliOptions): void {
  main([...argv], options).catch((e: unknown) => {
    // Start-up errors (bad config, bad plugin set, port in use) are for humans: no stack.
    const known = e instanceof Error && ['ConfigError', 'PluginSetError', 'HandlerTableError', 'RegistryError', 'PortInUseError', 'DataDirVersionError'].includes(e.name);
    const badArgs = String((e as { code?: unknown } | null)?.code ?? '').startsWith('ERR_PARSE_ARGS');
    console.error(known ? `error: ${(e as Error).message}` : badArgs ? `error: ${(e as Error).message}\n${USAGE}` : e);
    process.exit(1);
  });
}

async function main(argv: string[], options: CliOptions): Promise<void> {
  const [command, ...rest] = argv;
  let config: ServerConfig;
  switch (command) {
    case 'dev':
      config = parseDevArgs(rest, options.devPackages, options.uiAssetsDir !== undefined);
      break;
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string' } }, strict: true });
      if (!values.config) throw new ConfigError('start needs --config FILE');
      config = await loadConfigFile(values.config);
      break;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new ConfigError(`unknown command '${command}'\n${USAGE}`);
  }

  const server = await startServer(config, { catalogue: options.catalogue, ...(options.uiAssetsDir !== undefined ? { uiAssetsDir: options.uiAssetsDir } : {}) });
  if (command === 'dev') {
    const banner = formatBanner({ config, grpcPort: server.port, httpPort: server.httpPort, metricsPort: server.metricsPort, uiPort: server.uiPort });
    // On stdout beside readable logs; on stderr when stdout carries JSON lines, which a reader
    // (a log shipper, a test) parses line by line (ADR 0029).
    if ((config.log.format ?? defaultLogFormat()) === 'pretty') process.stdout.write(`${banner}\n`);
    else process.stderr.write(`${banner}\n`);
  }
  let signals = 0;
  const shutdown = (signal: string): void => {
    // A second Ctrl-C exits at once, for when a stop hangs.
    if (++signals > 1) process.exit(130);
    console.error(`${signal} received, stopping`);
    server.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function parseDevArgs(args: string[], devPackages: readonly string[], uiInstalled: boolean): ServerConfig {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      ip: { type: 'string' },
      'db-file': { type: 'string' },
      'metrics-port': { type: 'string' },
      'http-port': { type: 'string' },
      'ui-port': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'otlp-endpoint': { type: 'string' },
      namespace: { type: 'string', multiple: true },
      package: { type: 'string', multiple: true },
    },
  });
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const logFormat = values['log-format'];
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new ConfigError(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
  }
  const otlp = values['otlp-endpoint'];
  if (otlp !== undefined && !/^https?:\/\/[^/]/.test(otlp)) throw new ConfigError(`--otlp-endpoint must be an http(s):// URL (got '${otlp}')`);
  const metricsPort = values['metrics-port'];
  const uiPort = values['ui-port'];
  return devConfig({
    ...(values.port !== undefined ? { port: portArg(values.port, '--port') } : {}),
    ...(values.ip !== undefined ? { host: values.ip } : {}),
    ...(values['db-file'] !== undefined ? { dataDir: values['db-file'] } : {}),
    ...(metricsPort !== undefined ? { metricsPort: metricsPort === 'off' ? null : portArg(metricsPort, '--metrics-port') } : {}),
    ...(logLevel !== undefined ? { logLevel: logLevel as LogLevel } : {}),
    ...(logFormat !== undefined ? { logFormat: logFormat as LogFormat } : {}),
    ...(otlp !== undefined ? { tracesEndpoint: otlp } : {}),
    ...(uiPort !== undefined ? { uiPort: uiPort === 'off' ? null : portArg(uiPort, '--ui-port') } : {}),
    // The app passes the built UI's folder when its @chasm/ui resolves (packages/server).
    uiInstalled,
    ...(values['http-port'] !== undefined ? { httpPort: values['http-port'] === 'off' ? null : portArg(values['http-port'], '--http-port') } : {}),
    ...(values.namespace ? { namespaces: ['default', ...values.namespace] } : {}),
    packages: values.package ?? devPackages,
  });
}

function portArg(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new ConfigError(`${flag} must be a port number (got '${value}')`);
  return n;
}
