import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnServerProcess, type ServerProcess, type ServerProcessOptions } from '@chasm/core/testing';

const require = createRequire(import.meta.url);

/**
 * The runtime's built CLI, for crash tests and benchmarks that need a server in a child process
 * they can SIGKILL. It knows no feature: tests pass the plugins to load as module paths
 * (`pluginPath`), so a feature package is tested without the app that composes the catalogue.
 */
export const RUNTIME_CLI: string = require.resolve('@chasm/runtime/cli');

/**
 * The built entry point of a plugin package, resolved as `from` (a module URL, usually
 * `import.meta.url`) would import it: what a child-process server loads by path. Always the
 * `default` export (dist), also under vitest, whose workers resolve the `@chasm/source`
 * condition (src/*.ts, which plain node cannot load).
 */
export function pluginPath(specifier: string, from: string): string {
  const resolved = createRequire(from).resolve(specifier);
  let dir = dirname(resolved);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: { '.'?: { default?: string } }; main?: string };
  const entry = pkg.exports?.['.']?.default ?? pkg.main;
  return entry ? join(dir, entry) : resolved;
}

export type RuntimeProcessOptions = Omit<ServerProcessOptions, 'cli'>;

/** Starts the runtime CLI in a child process with the given plugins (module paths) and settings. */
export function spawnRuntime(opts: RuntimeProcessOptions): Promise<ServerProcess> {
  return spawnServerProcess({ ...opts, cli: RUNTIME_CLI });
}
