import { createRequire } from 'node:module';

/**
 * The `version` of the package.json at `relativePath` from `moduleUrl` (a plugin passes
 * `import.meta.url` and '../package.json' from `src/plugin.ts` or `dist/plugin.js`), so a
 * plugin's declared version is the one it was released with.
 */
export function packageVersion(moduleUrl: string, relativePath = '../package.json'): string {
  return (createRequire(moduleUrl)(relativePath) as { version: string }).version;
}
