#!/usr/bin/env node
// Entry point for the root npm scripts. It needs only Node >= 20 and npm: pnpm is fetched
// through npx at a pinned version (corepack's signature check fails against some registries).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@10.34.8';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command = 'build', ...rest] = process.argv.slice(2);
const env = { ...process.env, COREPACK_INTEGRITY_KEYS: '0', NX_DAEMON: 'false' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const bin = (name) => join(root, 'node_modules', '.bin', name);

function install() {
  run('npx', ['--yes', PNPM, 'install', '--prefer-offline', ...(process.env.CI ? ['--frozen-lockfile'] : [])]);
}
function build() {
  run(bin('tsc'), ['-b', 'tsconfig.json']);
}

switch (command) {
  case 'start':
    install();
    build();
    run(process.execPath, [join(root, 'packages/server/dist/cli.js'), 'dev', ...rest]);
    break;
  case 'build':
    install();
    build();
    break;
  case 'test':
    install();
    build();
    // Type-check the tests too (the build above covers only sources).
    run(bin('tsc'), ['-p', 'tsconfig.test.json']);
    run(bin('eslint'), ['packages']);
    run(bin('vitest'), ['run', ...rest]);
    break;
  case 'bench': {
    install();
    build();
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
