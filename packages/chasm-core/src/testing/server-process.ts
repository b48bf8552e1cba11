import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A server in a child process (the built CLI), for crash tests and benchmarks: it can be killed
 * with SIGKILL and restarted on the same store.
 */

export type ChildDatabase = { readonly kind: 'pglite'; readonly dataDir?: string } | { readonly kind: 'postgres'; readonly url: string };

export interface ServerProcessOptions {
  /** A built server CLI (`@chasm/runtime`'s for feature tests, `@chasm/server`'s for the app). */
  readonly cli: string;
  readonly database: ChildDatabase;
  /** Reuse a port across restarts so workers reconnect to the same address. */
  readonly port: number;
  readonly metricsPort?: number;
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info';
  /** Plugins to load: names the CLI knows, package names or module paths. */
  readonly packages: readonly string[];
  /** Per-plugin settings (the config file's `settings:`). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** More config-file keys, written last (e.g. `namespaces` with quotas, `limits`). */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
}

export interface ServerProcess {
  readonly address: string;
  readonly proc: ChildProcess;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), and wait for the exit. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts `cli.js start --config` and resolves once the gRPC port accepts connections. */
export async function spawnServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  if (!existsSync(opts.cli)) throw new Error(`${opts.cli} is missing: build first (tsc -b; npm test does)`);
  const dir = mkdtempSync(join(tmpdir(), 'chasm-server-config-'));
  const configFile = join(dir, 'server.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      database: opts.database,
      grpc: { host: '127.0.0.1', port: opts.port },
      ...(opts.metricsPort !== undefined ? { metrics: { host: '127.0.0.1', port: opts.metricsPort } } : {}),
      packages: opts.packages,
      ...(opts.settings ? { settings: opts.settings } : {}),
      namespaces: ['default'],
      // CHASM_SERVER_LOG_LEVEL overrides the test's level, to read a failing run's story.
      log: { level: process.env['CHASM_SERVER_LOG_LEVEL'] ?? opts.logLevel ?? 'warn' },
      ...opts.extraConfig,
    }),
  );
  // CHASM_SERVER_NODE_ARGS (e.g. '--cpu-prof') is passed to the child's node, for profiling.
  const nodeArgs = (process.env['CHASM_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  // CHASM_SERVER_LOG_FILE appends the child's log lines (stdout) to that file; they are dropped otherwise.
  const logFile = process.env['CHASM_SERVER_LOG_FILE'];
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const proc = spawn(process.execPath, [...nodeArgs, opts.cli, 'start', '--config', configFile], { stdio: ['ignore', out, 'inherit'] });
  if (typeof out === 'number') closeSync(out);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(opts.port))) {
    if (gone) throw new Error(`server exited during start-up (code ${String(proc.exitCode)})`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('server did not open its port within 60 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    proc,
    async kill9() {
      if (!gone) proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone) proc.kill('SIGTERM');
      await exited;
    },
  };
}
