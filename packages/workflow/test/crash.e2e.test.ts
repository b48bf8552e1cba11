import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';

/**
 * Crash test: the built server CLI runs in a child process on a PGlite directory; 500
 * hello-activity workflows are started and run by an SDK worker in this process; the server is
 * killed with SIGKILL midway and restarted on the same directory and port; every workflow must
 * still complete with its correct result.
 */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../server/dist/cli.js');
const COUNT = 500;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function startServer(port: number, dir: string): ChildProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test does)`);
  return spawn(
    process.execPath,
    [CLI, 'dev', '--port', String(port), '--db-file', dir, '--metrics-port', 'off', '--log-level', 'error', '--package', 'matching', '--package', 'workflow'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

async function kill9(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((res) => proc.once('exit', res));
  proc.kill('SIGKILL');
  await exited;
}

async function waitReady(address: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.getSystemInfo({});
      await c.close();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('crash recovery of workflows', () => {
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'chasm-wf-crash-'));
  afterAll(async () => {
    for (const p of procs) await kill9(p);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`completes all ${COUNT} hello-activity workflows after a SIGKILL midway`, { timeout: 240_000 }, async () => {
    quietRuntime();
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const [bundle] = await Promise.all([bundleTestWorkflows(), (async () => procs.push(startServer(port, dir)))()]);
    await waitReady(address);

    let greeted = 0;
    // Kill once a good part (but not all) of the work has happened: the activity says when.
    const killAt = Math.floor(COUNT / 4);
    let reachedKillPoint!: () => void;
    const killPoint = new Promise<void>((r) => (reachedKillPoint = r));
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: 'crash',
      workflowBundle: bundle,
      activities: {
        async greet(name: string) {
          if (++greeted === killAt) reachedKillPoint();
          return `Hello, ${name}!`;
        },
        async flaky() {
          return '';
        },
      },
    });
    const running = worker.run();
    const client = new Client({ connection: await Connection.connect({ address }) });
    try {
      const ids = Array.from({ length: COUNT }, (_, i) => `crash-${i}`);
      for (let i = 0; i < COUNT; i += 50) {
        await Promise.all(
          ids.slice(i, i + 50).map((workflowId, j) =>
            client.workflow.start<typeof wf.helloActivity>('helloActivity', { taskQueue: 'crash', workflowId, args: [String(i + j)] }),
          ),
        );
      }
      await killPoint;
      await kill9(procs[procs.length - 1]!);
      const greetedAtKill = greeted;
      procs.push(startServer(port, dir));
      await waitReady(address);

      const results = await Promise.all(ids.map((id) => client.workflow.getHandle(id).result() as Promise<string>));
      results.forEach((r, i) => expect(r).toBe(`Hello, ${i}!`));
      expect(greetedAtKill).toBeLessThan(COUNT);
    } finally {
      worker.shutdown();
      await running;
      await client.connection.close();
      await nativeConnection.close();
    }
  });
});
