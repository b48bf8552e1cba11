#!/usr/bin/env node
// Entry point for the root npm scripts. It needs only Node >= 20 and npm: pnpm is fetched
// through npx at a pinned version (corepack's signature check fails against some registries).
// Everything after install goes through nx: the project graph orders builds, the cache skips
// what did not change, and `--affected` limits a run to what a change can reach.
//
//   npm start [-- dev server flags]      install, build the server app, start the dev server
//   npm test [-- --affected] [-- nx args] install, then build, typecheck, lint and test every project
//   npm run build                         install and build every project
//   npm run bench [-- name] [-- --flags]  install, build, run the benchmarks (dist/bench/*.bench.js)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@10.34.8';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'build', ...rest] = process.argv.slice(2);
const env = { ...process.env, COREPACK_INTEGRITY_KEYS: '0', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// The dev server's memory allocator (glibc; other C libraries ignore it): buffers from 1 MiB
// up are always mmapped and unmapped when freed. By default glibc raises that threshold to the
// size of each large block it frees (up to 32 MiB), after which large blocks (PGlite's in-memory
// files among them, grown by copying into a larger ArrayBuffer) land in the brk heap and the
// freed ones stay resident: ~30 MiB of idle RSS (ADR 0043). A value the user set wins.
const devServerMalloc = { MALLOC_MMAP_THRESHOLD_: '1048576' };
const bin = (name) => join(root, 'node_modules', '.bin', name);
const nx = (...args) => run(bin('nx'), [...args, '--outputStyle=stream']);

function install() {
  run('npx', ['--yes', PNPM, 'install', '--prefer-offline', ...(process.env.CI ? ['--frozen-lockfile'] : [])]);
}

switch (command) {
  case 'start':
    install();
    nx('run', 'server:build');
    run(process.execPath, [join(root, 'packages/server/dist/cli.js'), 'dev', ...rest], { env: { ...devServerMalloc, ...env } });
    break;
  case 'build':
    install();
    nx('run-many', '-t', 'build', ...rest);
    break;
  case 'test': {
    install();
    const affected = rest.includes('--affected');
    const args = rest.filter((a) => a !== '--affected');
    // CI runs on a clean clone: nothing to reuse, and a test result must come from this run.
    const cache = process.env.CI ? ['--skip-nx-cache'] : [];
    nx(affected ? 'affected' : 'run-many', '-t', 'build', 'typecheck', 'lint', 'test', ...cache, ...args);
    break;
  }
  case 'bench': {
    install();
    nx('run-many', '-t', 'build');
    const benches = [];
    for (const pkg of readdirSync(join(root, 'packages'))) {
      const dir = join(root, 'packages', pkg, 'dist', 'bench');
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.bench.js')) benches.push(join(dir, f));
    }
    const only = rest.filter((a) => !a.startsWith('-'));
    for (const b of benches) {
      if (only.length && !only.some((o) => b.includes(o))) continue;
      console.log(`\n=== ${b.slice(root.length + 1)}`);
      run(process.execPath, [b, ...rest.filter((a) => a.startsWith('-'))]);
    }
    break;
  }
  default:
    console.error(`unknown command ${command}`);
    process.exit(2);
}
