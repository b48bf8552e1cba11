import { createRequire } from 'node:module';
import { CHASM_CORE_VERSION } from './core-version.js';

interface PackageJson {
  readonly version: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const read = (moduleUrl: string, relativePath: string): PackageJson => createRequire(moduleUrl)(relativePath) as PackageJson;

/**
 * The `version` of the package.json at `relativePath` from `moduleUrl` (a plugin passes
 * `import.meta.url`; '../package.json' fits both `src/plugin.ts` and `dist/plugin.js`), so a
 * plugin's declared version is the one it was released with.
 */
export function packageVersion(moduleUrl: string, relativePath = '../package.json'): string {
  return read(moduleUrl, relativePath).version;
}

/**
 * The @chasm/core range a plugin's package.json asks for (peerDependencies, else dependencies),
 * for `definePlugin({ coreApi })`: one source of truth, the range npm and pnpm check too. A
 * `workspace:` range (a package inside this repository) is read as pnpm publishes it, against
 * the core it is linked to: `workspace:^` → `^<core version>`, `workspace:*` → the exact version.
 */
export function packageCoreRange(moduleUrl: string, relativePath = '../package.json'): string {
  const pkg = read(moduleUrl, relativePath);
  const range = pkg.peerDependencies?.['@chasm/core'] ?? pkg.dependencies?.['@chasm/core'];
  if (range === undefined) throw new TypeError(`${relativePath} from ${moduleUrl} declares no dependency on @chasm/core`);
  if (!range.startsWith('workspace:')) return range;
  const spec = range.slice('workspace:'.length);
  if (spec === '*' || spec === '') return CHASM_CORE_VERSION;
  if (spec === '^' || spec === '~') return `${spec}${CHASM_CORE_VERSION}`;
  return spec;
}
