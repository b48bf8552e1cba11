import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = `${ROOT}packages/server/dist/cli.js`;
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface DevServer {
  /** host:port of gRPC, for the SDK. */
  readonly address: string;
  /** The web UI's origin (which also serves the HTTP API under /api/). */
  readonly ui: string;
  stop(): Promise<void>;
}

/** The built dev server (PGlite in memory) with the given packages, on free ports, once it serves. */
export async function startDevServer(packages: readonly string[]): Promise<DevServer> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (nx run-many -t build)`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const [port, httpPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const proc = spawn(
    process.execPath,
    [CLI, 'dev', '--port', String(port), '--http-port', String(httpPort), '--ui-port', String(uiPort), '--metrics-port', 'off', '--log-level', 'warn', ...packages.flatMap((p) => ['--package', p])],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const ui = `http://127.0.0.1:${uiPort}`;
  await untilServing(`${ui}/api/v1/namespaces/default`, proc);
  return {
    address: `127.0.0.1:${port}`,
    ui,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function untilServing(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the dev server exited with ${proc.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 120 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
