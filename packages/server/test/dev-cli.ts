import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The built CLI (`npm start` runs `dev` on it). */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** The bundle the build makes of the default dev composition (ADR 0056). */
export const DEV_BUNDLE_DIR = fileURLToPath(new URL('../dist/dev-bundle/', import.meta.url));

/** A built dev server started as `npm start` starts it, up to its `server started` line. */
export interface DevServerProcess {
  readonly child: ChildProcess;
  /** The `server started` log line, parsed. */
  readonly started: { readonly address: string; readonly [key: string]: unknown };
  /**
   * Every file the process loaded through the ES module loader (ES modules, and CommonJS
   * modules an ES module imported) up to the `server started` line, as file paths.
   */
  loadedBeforeServing(): string[];
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `node dist/cli.js dev --port 0 … <args>` under a loader hook that records each loaded
 * module (the hook's `load` runs before a module is evaluated, so the list read right after the
 * `server started` line holds what loaded before it, plus at most a few modules loaded since).
 */
export async function spawnDevServer(args: readonly string[]): Promise<DevServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'dev-cli-'));
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
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, CLI, 'dev', '--port', '0', '--log-format', 'json', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await new Promise<DevServerProcess['started']>((resolveStarted, reject) => {
      child.once('exit', (code) => reject(new Error(`dev exited with ${String(code)}: ${stderr}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('"server started"')) resolveStarted(JSON.parse(line) as DevServerProcess['started']);
      });
    });
    const loaded = readFileSync(list, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:'))
      .map((u) => fileURLToPath(u));
    return { child, started, loadedBeforeServing: () => [...loaded], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface BundleMeta {
  readonly outputs: Readonly<Record<string, { readonly inputs: Readonly<Record<string, unknown>> }>>;
}

/**
 * The modules a process ran before serving, with the bundle's files replaced by the modules
 * each holds (from the metafile the build writes beside them): what the process would have
 * loaded as separate files without the bundle.
 */
export function modulesBehind(loaded: readonly string[]): string[] {
  const pkgDir = dirname(dirname(CLI));
  const meta = JSON.parse(readFileSync(join(DEV_BUNDLE_DIR, 'meta.json'), 'utf8')) as BundleMeta;
  const byOutput = new Map(Object.entries(meta.outputs).map(([out, o]) => [resolve(pkgDir, out), Object.keys(o.inputs).map((i) => resolve(pkgDir, i))]));
  return loaded.flatMap((file) => byOutput.get(file) ?? [file]);
}
