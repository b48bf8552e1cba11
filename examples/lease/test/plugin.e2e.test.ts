import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@chasm/core/testing';
import { pluginPath, RUNTIME_CLI } from '@chasm/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

/**
 * The plugin as an operator uses it: a YAML config names it by path, with its settings, and the
 * stock runtime CLI (which knows no lease) serves its HTTP API. Nothing in core or the runtime
 * knows this package.
 */
const LEASE = pluginPath('@chasm-examples/lease', import.meta.url);
const FUTURE = fileURLToPath(new URL('./fixtures/future-plugin.mjs', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

function startCli(config: object, dir: string): Child {
  const file = join(dir, 'server.yaml');
  writeFileSync(file, stringify(config));
  const proc = spawn(process.execPath, [RUNTIME_CLI, 'start', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, exited, stderr: () => err };
}

/** Waits until the HTTP port answers (or the server exits). */
async function ready(base: string, child: Child): Promise<void> {
  let gone = false;
  void child.exited.then(() => (gone = true));
  for (const deadline = Date.now() + 60_000; ; ) {
    if (gone) throw new Error(`server exited: ${child.stderr()}`);
    try {
      await fetch(`${base}/`);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('server did not open its HTTP port in 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const json = async (res: Response): Promise<Record<string, unknown>> => (await res.json()) as Record<string, unknown>;

describe('the lease plugin loaded by config into the stock runtime', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'lease-e2e-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const config = async (dir: string, extra: object = {}) => ({
    database: { kind: 'pglite', dataDir: join(dir, 'data') },
    grpc: { host: '127.0.0.1', port: await freePort() },
    http: { host: '127.0.0.1', port: await freePort() },
    packages: [LEASE],
    settings: { lease: { maxTtlMs: 60_000, defaultTtlMs: 500 } },
    namespaces: ['default'],
    log: { level: 'warn' },
    ...extra,
  });

  it('serves its HTTP API, validates input, and its expiry timer survives a restart', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const cfg = await config(dir);
    const base = `http://127.0.0.1:${cfg.http.port}/api/v1/namespaces/default/leases`;
    let child = startCli(cfg, dir);
    cleanups.push(() => void child.proc.kill('SIGKILL'));
    await ready(`http://127.0.0.1:${cfg.http.port}`, child);

    const put = (name: string, body: unknown) =>
      fetch(`${base}/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const granted = await put('db', { holder: 'alice', ttlMs: 10_000 });
    expect(granted.status).toBe(200);
    const grant = await json(granted);
    expect(grant).toMatchObject({ name: 'db', status: 'held', holder: 'alice', grants: 1 });
    const expiresAt = Date.parse(String(grant['expiresAt']));
    const conflict = await put('db', { holder: 'bob' });
    expect(conflict.status).toBe(409);
    expect((await json(conflict))['message']).toMatch(/held by 'alice'/);

    // Bad input: 400 naming the field, nothing stored; the settings' maxTtlMs applies.
    const tooLong = await put('other', { holder: 'alice', ttlMs: 3_600_000 });
    expect(tooLong.status).toBe(400);
    expect((await json(tooLong))['message']).toMatch(/^ttlMs: /);
    const noHolder = await put('other', { ttlMs: 1_000 });
    expect((await json(noHolder))['message']).toMatch(/^holder: /);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/x`, { method: 'DELETE' })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${cfg.http.port}/api/v1/namespaces/ghost/leases/db`)).status).toBe(404);

    // SIGKILL while the lease is held; its timer must fire after the restart.
    const killedAt = Date.now();
    // The expiry must fall after the kill, or a free lease below would prove nothing.
    expect(killedAt).toBeLessThan(expiresAt);
    child.proc.kill('SIGKILL');
    await child.exited;
    child = startCli(cfg, dir);
    await ready(`http://127.0.0.1:${cfg.http.port}`, child);
    // Still held; or, when the restart took longer than the TTL (a loaded machine), already
    // freed by the timer, which can only have fired after the restart. Never granted again.
    const afterRestart = await json(await fetch(`${base}/db`));
    if (afterRestart['status'] === 'free') expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    else expect(afterRestart).toMatchObject({ status: 'held', holder: 'alice' });
    expect(afterRestart).toMatchObject({ grants: 1 });
    for (const deadline = Date.now() + 30_000; ; ) {
      const lease = await json(await fetch(`${base}/db`));
      if (lease['status'] === 'free') break;
      if (Date.now() > deadline) throw new Error('the lease did not expire after the restart');
      await new Promise((r) => setTimeout(r, 100));
    }
    const next = await put('db', { holder: 'bob' });
    expect(await json(next)).toMatchObject({ holder: 'bob', grants: 2 });
    // Release by its holder: 204, and the lease is free again.
    expect((await fetch(`${base}/db?holder=bob`, { method: 'DELETE' })).status).toBe(204);
    expect(await json(await fetch(`${base}/db`))).toMatchObject({ status: 'free' });
  });

  it.each([
    ['a plugin built for another core', { packages: [LEASE, FUTURE] }, /^error: future 2\.0\.0 supports @chasm\/core \^9\.0\.0, but this server runs @chasm\/core /m],
    ['invalid settings', { settings: { lease: { maxTtlMs: 'long' } } }, /^error: settings\.lease\.maxTtlMs: /m],
    ['settings for a package that is not loaded', { settings: { leases: {} } }, /^error: settings\.leases: no package named 'leases' is loaded$/m],
  ])('refuses %s in one line', { timeout: 60_000 }, async (_what, extra, message) => {
    const dir = tempDir();
    const child = startCli(await config(dir, extra), dir);
    expect(await child.exited).toBe(1);
    expect(child.stderr().trim().split('\n')).toHaveLength(1);
    expect(child.stderr()).toMatch(message);
  });
});
