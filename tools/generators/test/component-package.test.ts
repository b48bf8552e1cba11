import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FsTree as Tree, flushChanges as flush } from 'nx/src/generators/tree.js';
import { describe, expect, it } from 'vitest';
import type componentPackageGenerator from '../src/component-package/generator.cjs';

// Loaded as nx loads them: the generator is CommonJS, and FsTree + flushChanges are what `nx g` writes with.
const require = createRequire(import.meta.url);
const generator = require('../src/component-package/generator.cjs') as typeof componentPackageGenerator;
const { FsTree, flushChanges } = require('nx/src/generators/tree.js') as { FsTree: typeof Tree; flushChanges: typeof flush };

const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// Outside every project: inside one, the module-boundary lint would judge the generated files
// by that project's tag. (It skips files of no project, so boundaries are the one rule the
// generated package is not linted for here; its imports are core, runtime, zod and inversify.)
const TMP = join(WORKSPACE, '.tmp');

interface PackageJson {
  name: string;
  nx: { name: string; tags: string[]; targets: Record<string, { command: string }> };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * A throw-away root inside the workspace (so tools and packages resolve from its node_modules)
 * that looks like the workspace to the generator and the generated package: the root configs
 * the package extends or edits are copies, `packages/` is the workspace's own (its tsconfig
 * references ../../packages/chasm-core and the tests import @chasm/runtime).
 */
function fakeWorkspace(): string {
  mkdirSync(TMP, { recursive: true });
  const root = mkdtempSync(join(TMP, 'component-package-'));
  for (const file of ['tsconfig.base.json', 'tsconfig.json', 'vitest.config.ts']) copyFileSync(join(WORKSPACE, file), join(root, file));
  symlinkSync(join(WORKSPACE, 'packages'), join(root, 'packages'), 'dir');
  return root;
}

/**
 * What `pnpm install` would link for the generated package, without touching the lockfile: each
 * dependency it declares, as a symlink to the workspace package of that name or to the copy a
 * workspace project already has installed.
 */
function linkDependencies(projectDir: string): void {
  const pkg = readJson<PackageJson>(join(projectDir, 'package.json'));
  const names = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const projectDirs = ['packages', 'examples'].flatMap((d) => readdirSync(join(WORKSPACE, d)).map((p) => join(WORKSPACE, d, p)));
  for (const name of names) {
    const local = projectDirs.find((d) => existsSync(join(d, 'package.json')) && readJson<PackageJson>(join(d, 'package.json')).name === name);
    const installed = [WORKSPACE, ...projectDirs].map((d) => join(d, 'node_modules', name)).find((d) => existsSync(d));
    const target = local ?? installed;
    if (!target) throw new Error(`no workspace project has ${name} installed`);
    const link = join(projectDir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(target), link, 'dir');
  }
}

/** Runs one of the generated package's nx target commands as nx would (cwd = the project). */
function runTarget(projectDir: string, pkg: PackageJson, target: string): Promise<string> {
  const command = pkg.nx.targets[target]?.command;
  if (!command) throw new Error(`no ${target} target`);
  // The outer vitest's worker variables would confuse the inner one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'FORCE_COLOR'));
  env['NO_COLOR'] = '1';
  env['PATH'] = `${join(WORKSPACE, 'node_modules/.bin')}:${env['PATH'] ?? ''}`;
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd: projectDir, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${target} (${command}) failed:\n${stdout}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

describe('component-package generator', () => {
  it('generates a package that builds, type-checks, lints and passes its own tests', { timeout: 240_000 }, async () => {
    const root = fakeWorkspace();
    try {
      const tree = new FsTree(root, false);
      generator(tree, { name: 'gen-check', directory: 'examples' });
      flushChanges(root, tree.listChanges());

      const projectDir = join(root, 'examples/gen-check');
      const pkg = readJson<PackageJson>(join(projectDir, 'package.json'));
      expect(pkg.name).toBe('@chasm-examples/gen-check');
      expect(pkg.nx).toMatchObject({ name: 'gen-check', tags: ['layer:plugin'] });
      expect(Object.keys(pkg.nx.targets)).toEqual(['build', 'typecheck', 'lint', 'test']);
      for (const file of ['src/gen-check/gen-check.ts', 'src/gen-check/gen-check.transitions.ts', 'src/gen-check/gen-check.tasks.ts', 'src/errors.ts', 'README.md', 'CHANGELOG.md']) {
        expect(existsSync(join(projectDir, file)), file).toBe(true);
      }
      // Exactly one more project reference, the rest of the root tsconfig untouched.
      const before = readJson<{ references: { path: string }[] }>(join(WORKSPACE, 'tsconfig.json'));
      expect(readJson(join(root, 'tsconfig.json'))).toEqual({ ...before, references: [...before.references, { path: 'examples/gen-check' }] });

      linkDependencies(projectDir);
      await runTarget(projectDir, pkg, 'build');
      expect(existsSync(join(projectDir, 'dist/index.js'))).toBe(true);
      await Promise.all([runTarget(projectDir, pkg, 'typecheck'), runTarget(projectDir, pkg, 'lint')]);
      const out = await runTarget(projectDir, pkg, 'test');
      expect(out).toMatch(/Test Files\s+\S*2 passed/);
    } finally {
      rmSync(root, { recursive: true, force: true });
      // Leave nothing behind: the temp folder goes too unless another run is using it.
      if (existsSync(TMP) && readdirSync(TMP).length === 0) rmdirSync(TMP);
    }
    expect(existsSync(root)).toBe(false);
  });

  it('refuses names the workspace or the runtime could not take', () => {
    const tree = new FsTree(WORKSPACE, false);
    expect(() => generator(tree, { name: 'lease', directory: 'packages' })).toThrow(/nx project 'lease' already exists/);
    expect(() => generator(tree, { name: 'core' })).toThrow(/reserved/);
    expect(() => generator(tree, { name: 'Bad_Name' })).toThrow(/kebab-case/);
    expect(() => generator(tree, { name: 'fine', library: 'not-camel' })).toThrow(/lowerCamel/);
    // Nothing was written: the tree is only flushed by a successful `nx g`.
    expect(tree.listChanges()).toEqual([]);
  });
});
