import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/**
 * What the dev server imports before it serves (ADR 0054): module loading is the largest part
 * of its start, so modules only some configurations need stay out of a plain `dev` boot. A
 * loader hook records every ES module (and every CommonJS module an ES module imports) loaded
 * up to the `server started` line. Runs the built CLI (dist).
 */
describe('dev server boot: modules loaded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'boot-modules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves out jose, the semver and @temporalio/common indexes and uuid', { timeout: 300_000 }, async () => {
    const list = join(dir, 'loaded.txt');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(list)}, url + '\\n');
  return next(url, context);
}
`,
    );
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    writeFileSync(list, '');
    const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, CLI, 'dev', '--port', '0', '--log-format', 'json', '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`dev exited with ${String(code)}: ${stderr}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.includes('"server started"')) resolve();
        });
      });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const loaded = readFileSync(list, 'utf8').split('\n').filter(Boolean);
    // The server itself did load (the hook saw the plugins and PGlite).
    expect(loaded.some((u) => u.includes('/workflow/dist/'))).toBe(true);
    expect(loaded.some((u) => u.includes('@electric-sql/pglite'))).toBe(true);
    const offenders = loaded.filter(
      (u) => /\/node_modules\/jose\//.test(u) || /\/node_modules\/uuid\//.test(u) || /\/node_modules\/semver\/index\.js$/.test(u) || /\/node_modules\/@temporalio\/common\/lib\/index\.js$/.test(u),
    );
    expect(offenders).toEqual([]);
  });
});
