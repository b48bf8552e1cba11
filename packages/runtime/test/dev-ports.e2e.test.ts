import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { freePort } from '@chasm/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_CLI } from '../src/testing/index.js';

/**
 * The dev server's ports (issue 14, ADR 0029), with the built CLI (dist) in child processes:
 * ports not given follow --port (metrics +6, HTTP +10) and fall back to a free one when taken,
 * so two dev servers differing only by --port start side by side; a taken gRPC port is one
 * line on stderr and exit code 1. Also the banner: on stdout with readable logs, on stderr
 * when stdout carries JSON lines.
 */
describe('dev servers side by side', () => {
  const children: ChildProcess[] = [];
  const holders: Server[] = [];
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
    await Promise.all(holders.splice(0).map((h) => new Promise<void>((r) => h.close(() => r()))));
  });

  const spawnDev = (args: string[]): { child: ChildProcess; stderr: () => string } => {
    const child = spawn(process.execPath, [RUNTIME_CLI, 'dev', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    return { child, stderr: () => stderr };
  };

  /** Resolves once `done` returns a value for a stdout line; rejects if the child exits first. */
  const untilLine = <T>(what: string, dev: { child: ChildProcess; stderr: () => string }, done: (line: string, all: string[]) => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not within 120 s; stderr: ${dev.stderr()}`)), 120_000);
      dev.child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${what}: exited with ${String(code)}: ${dev.stderr()}`));
      });
      const lines: string[] = [];
      createInterface({ input: dev.child.stdout! }).on('line', (line) => {
        lines.push(line);
        const v = done(line, lines);
        if (v === undefined) return;
        clearTimeout(timer);
        resolve(v);
      });
    });

  /** A port whose followers (+4 for the second server, +6, +10, +14) are free now. */
  const portWithFreeFollowers = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (p + 1000 > 65_535) continue;
      const free = await Promise.all([4, 6, 10, 14].map((o) => canBind(p + o)));
      if (free.every(Boolean)) return p;
    }
  };

  it('ports follow --port, a taken follower falls back to a free port, and the banner says where', { timeout: 300_000 }, async () => {
    const p = await portWithFreeFollowers();
    // A: readable logs; its banner is on stdout.
    const a = spawnDev(['--port', String(p), '--log-format', 'pretty', '--log-level', 'info']);
    // The log lines come from pino's transport thread, the banner from the main one: wait for both.
    const bannerA = await untilLine('dev A banner and start-up line', a, (_line, all) =>
      all.some((l) => l.trim().startsWith('Store')) && all.some((l) => l.includes('server started')) ? all.join('\n') : undefined,
    );
    expect(bannerA).toContain('CHASM dev server is ready');
    expect(bannerA).toContain(`gRPC       127.0.0.1:${p}`);
    expect(bannerA).toContain(`HTTP API   http://127.0.0.1:${p + 10}/api/v1/namespaces`);
    expect(bannerA).toContain(`Metrics    http://127.0.0.1:${p + 6}/metrics`);
    expect(bannerA).toContain('Namespace  default');
    expect(bannerA).toMatch(/Store +PGlite in memory/);
    // pino-pretty's lines, not JSON.
    expect(bannerA).toMatch(/INFO.*server started/);
    expect(bannerA.split('\n').some((l) => l.startsWith('{'))).toBe(false);

    // B, at p+4: its metrics port would be p+10, which A's HTTP API holds.
    const b = spawnDev(['--port', String(p + 4), '--log-level', 'info']);
    const started = await untilLine('dev B start-up line', b, (line) => {
      const entry = JSON.parse(line) as { msg?: string; metricsPort?: number; httpPort?: number };
      return entry.msg === 'server started' ? entry : undefined;
    });
    expect(started.httpPort).toBe(p + 14);
    expect(started.metricsPort).not.toBe(p + 10);
    // JSON on stdout, so the banner went to stderr, with the port actually bound. The main thread
    // writes it after the start-up line, on another pipe: the two can arrive in either order.
    await expect.poll(() => b.stderr(), { timeout: 30_000, interval: 20 }).toContain(`Metrics    http://127.0.0.1:${started.metricsPort}/metrics`);

    for (const s of [
      { metricsPort: p + 6, httpPort: p + 10 },
      { metricsPort: started.metricsPort!, httpPort: p + 14 },
    ]) {
      expect((await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).status).toBe(200);
      const info = await fetch(`http://127.0.0.1:${s.httpPort}/api/v1/system-info`);
      expect(info.status).toBe(200);
      expect(await info.json()).toMatchObject({ serverVersion: expect.any(String) as string });
    }
  });

  it('a taken gRPC port is one line on stderr and exit code 1', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const holder = createServer();
    holders.push(holder);
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
    const dev = spawnDev(['--port', String(port)]);
    const code = await new Promise<number | null>((r) => dev.child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    const lines = dev.stderr().trim().split('\n');
    expect(lines).toEqual([`error: gRPC port ${port} on 127.0.0.1 is already in use (another server running?): stop it or choose another port`]);
  });
});

async function canBind(port: number): Promise<boolean> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
