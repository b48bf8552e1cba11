import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from '@chasm/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_CLI } from '../src/testing/index.js';

/**
 * Two dev servers side by side, differing only by `--port` (issue 14): their metrics and HTTP
 * ports are picked free instead of both taking 7239 and 7243. Runs the built CLI (dist).
 */
describe('dev servers side by side', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(
      children.splice(0).map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
  });

  /** Starts `cli.js dev --port N` and resolves with its 'server started' log line. */
  const startDev = async (port: number): Promise<{ metricsPort: number; httpPort: number }> => {
    const child = spawn(process.execPath, [RUNTIME_CLI, 'dev', '--port', String(port), '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev --port ${port}: no start-up line within 60 s; stderr: ${stderr}`)), 60_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`dev --port ${port} exited with ${String(code)}: ${stderr}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; metricsPort?: number; httpPort?: number };
        if (entry.msg !== 'server started') return;
        clearTimeout(timer);
        resolve({ metricsPort: entry.metricsPort ?? -1, httpPort: entry.httpPort ?? -1 });
      });
    });
  };

  it('both start, each with its own metrics and HTTP API port', { timeout: 120_000 }, async () => {
    const [a, b] = await Promise.all([startDev(await freePort()), startDev(await freePort())]);
    expect(new Set([a.metricsPort, a.httpPort, b.metricsPort, b.httpPort]).size).toBe(4);
    for (const s of [a, b]) {
      expect((await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).status).toBe(200);
      const info = await fetch(`http://127.0.0.1:${s.httpPort}/api/v1/system-info`);
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({ serverVersion: expect.any(String) as string });
    }
  });
});
