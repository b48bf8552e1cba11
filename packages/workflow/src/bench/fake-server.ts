import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The zero-cost server of issue 16: a measuring instrument that lives outside the repository
 * (`shared/bench/fake-server/` beside it or beside a folder above it, or BENCH_FAKE_SERVER), never
 * copied into it. Its directory is read-only, so it is copied to a temporary directory and its
 * dependencies are installed there with `npm ci`, once per version of its lock file.
 */
export function findFakeServer(repoRoot: string): string | undefined {
  const explicit = process.env['BENCH_FAKE_SERVER'];
  if (explicit !== undefined) return existsSync(join(explicit, 'server.mjs')) ? explicit : undefined;
  // A git worktree sits deeper than the main checkout (e.g. wt/<branch>), so look upwards: a bench
  // run there used to find no fake and quietly print no ratios.
  for (let dir = resolve(repoRoot, '..'); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'bench', 'fake-server');
    if (existsSync(join(candidate, 'server.mjs'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** A runnable copy of the fake server (deps installed); throws if `npm ci` fails. */
export function prepareFakeServer(source: string): string {
  const lock = readFileSync(join(source, 'package-lock.json'));
  const server = readFileSync(join(source, 'server.mjs'));
  const hash = createHash('sha256').update(lock).update(server).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `chasm-bench-fake-server-${hash}`);
  if (!existsSync(join(dir, 'node_modules'))) {
    cpSync(source, dir, { recursive: true });
    const r = spawnSync('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm ci for the fake server in ${dir} failed (${String(r.status)})`);
  }
  return dir;
}

/** Starts `server.mjs PORT` (its counters on stderr are dropped); stop with SIGTERM. */
export function startFakeServer(dir: string, port: number): ChildProcess {
  return spawn(process.execPath, [join(dir, 'server.mjs'), String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
}
