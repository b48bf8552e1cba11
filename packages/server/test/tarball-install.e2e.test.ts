import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '@chasm/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const PNPM = ['--yes', 'pnpm@10.34.8'];

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/**
 * The packages as a user gets them: `pnpm pack` tarballs (workspace ranges replaced by real
 * versions), installed with plain npm into an empty folder, and a server started from the
 * installed runtime's CLI with the two features named by package name in its config.
 */
describe('installing from tarballs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chasm-tarball-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs the runtime and two feature packages into an empty folder and serves them', { timeout: 300_000 }, async () => {
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    for (const pkg of ['chasm-core', 'runtime', 'matching', 'standalone-activity']) {
      execFileSync('npx', [...PNPM, 'pack', '--pack-destination', tarballs], { cwd: join(ROOT, 'packages', pkg), stdio: 'ignore' });
    }
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const files = readdirSync(tarballs).map((f) => join(tarballs, f));
    expect(files).toHaveLength(4);
    // A clean npm install: the tarballs' own dependency lists must be complete and resolvable.
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], { cwd: app, stdio: 'ignore' });

    const port = await freePort();
    writeFileSync(
      join(app, 'server.yaml'),
      [
        'database: { kind: pglite }',
        `grpc: { host: 127.0.0.1, port: ${port} }`,
        "packages: ['@chasm/matching', '@chasm/standalone-activity']",
        'namespaces: [default]',
        'log: { level: warn }',
      ].join('\n'),
    );
    const proc = spawn(join(app, 'node_modules/.bin/chasm-runtime'), ['start', '--config', 'server.yaml'], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    proc.once('exit', () => (exited = true));
    try {
      for (const deadline = Date.now() + 60_000; !(await portOpen(port)); ) {
        if (exited) throw new Error(`server exited: ${stderr}`);
        if (Date.now() > deadline) throw new Error('server did not start in 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const client = new Client({ connection, namespace: 'default' });
        const handle = await client.activity.start('greet', { id: 'from-tarball', taskQueue: 'q', startToCloseTimeout: '10s', args: ['x'] });
        const info = await handle.describe();
        expect(info.activityId).toBe('from-tarball');
        // PollActivityTaskQueue is served (by matching, for standalone-activity's tasks).
        const polled = await connection.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'q' }, identity: 't' });
        expect(polled.activityId).toBe('from-tarball');
      } finally {
        await connection.close();
      }
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
