import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built server CLI in a child process, for the benchmark: this package never imports the
 * server (layering), it only runs it.
 */
export const SERVER_CLI = fileURLToPath(new URL('../../../server/dist/cli.js', import.meta.url));

export type ChildDatabase = { readonly kind: 'pglite' } | { readonly kind: 'postgres'; readonly url: string };

export interface ServerProcess {
  readonly address: string;
  readonly proc: ChildProcess;
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

/** Starts `cli.js start --config` with matching, workflow and workflow-update; resolves once gRPC accepts connections. */
export async function spawnServer(opts: { readonly database: ChildDatabase; readonly port: number; readonly metricsPort: number }): Promise<ServerProcess> {
  if (!existsSync(SERVER_CLI)) throw new Error(`${SERVER_CLI} is missing: build first (tsc -b)`);
  const dir = mkdtempSync(join(tmpdir(), 'chasm-upd-config-'));
  const configFile = join(dir, 'server.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      database: opts.database,
      grpc: { host: '127.0.0.1', port: opts.port },
      metrics: { host: '127.0.0.1', port: opts.metricsPort },
      packages: ['matching', 'workflow', 'workflow-update'],
      namespaces: ['default'],
      log: { level: 'error' },
    }),
  );
  const proc = spawn(process.execPath, [SERVER_CLI, 'start', '--config', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  let gone = false;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(opts.port))) {
    if (gone) throw new Error(`server exited during start-up (code ${String(proc.exitCode)})`);
    if (Date.now() > deadline) throw new Error('server did not open its port in time');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    proc,
    async stop() {
      if (gone) return;
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
