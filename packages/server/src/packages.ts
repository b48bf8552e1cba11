import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ContainerModule } from 'inversify';
import { coreModule } from './modules/core-module.js';

/** Loads a package's inversify module (lazily, so unused packages are never imported). */
export type PackageLoader = () => Promise<ContainerModule>;

/**
 * The packages a config may name. Adding a feature package = one line here, plus the package in
 * server's package.json dependencies and tsconfig references, e.g.
 *   matching: () => import('@chasm/matching').then((m) => m.matchingModule),
 * 'core' (the server's own module) is always loaded; naming it is allowed and changes nothing.
 */
export const PACKAGE_CATALOGUE: Readonly<Record<string, PackageLoader>> = {
  core: async () => coreModule,
  matching: () => import('@chasm/matching').then((m) => m.matchingModule),
  'standalone-activity': () => import('@chasm/standalone-activity').then((m) => m.standaloneActivityModule),
  workflow: () => import('@chasm/workflow').then((m) => m.workflowModule),
  // Needs 'workflow' loaded too (it extends workflow runs).
  'workflow-update': () => import('@chasm/workflow-update').then((m) => m.workflowUpdateModule),
  // The reference CHASM library (tests, crash tests and benchmarks).
  tests: () => import('./modules/tests-module.js').then((m) => m.testsModule),
};

/** A config names a package that is neither in the catalogue nor a loadable module path. */
export class UnknownPackageError extends Error {
  override readonly name = 'UnknownPackageError';
}

/**
 * Resolves config package names to modules, core first, each once, in config order.
 * A name containing '/' or starting with '.' is a module specifier (a third-party package or a
 * file path) whose default export, or `module` export, must be a ContainerModule.
 */
export async function loadPackageModules(
  names: readonly string[],
  catalogue: Readonly<Record<string, PackageLoader>> = PACKAGE_CATALOGUE,
): Promise<ContainerModule[]> {
  const wanted = ['core', ...names.filter((n) => n !== 'core')];
  const seen = new Set<string>();
  const modules: ContainerModule[] = [];
  for (const name of wanted) {
    if (seen.has(name)) continue;
    seen.add(name);
    const loader = catalogue[name];
    if (loader) {
      modules.push(await loader());
    } else if (name.includes('/') || name.startsWith('.')) {
      modules.push(await importModule(name));
    } else {
      throw new UnknownPackageError(
        `unknown package '${name}' in config; known packages: ${Object.keys(catalogue).sort().join(', ')} (or give a module path)`,
      );
    }
  }
  return modules;
}

async function importModule(specifier: string): Promise<ContainerModule> {
  const target = specifier.startsWith('.') || isAbsolute(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(target)) as Record<string, unknown>;
  } catch (e) {
    throw new UnknownPackageError(`cannot load package '${specifier}': ${(e as Error).message}`);
  }
  const candidate = loaded['default'] ?? loaded['module'];
  if (!(candidate instanceof ContainerModule)) {
    throw new UnknownPackageError(`package '${specifier}' must export an inversify ContainerModule as default or 'module'`);
  }
  return candidate;
}
