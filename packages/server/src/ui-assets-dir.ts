import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The built web UI of the installed `@chasm/ui` package, found the way Node finds a package
 * (so an operator who leaves the package out gets a server without a UI, not an error), or
 * undefined when it is missing or not built.
 */
export function uiAssetsDir(): string | undefined {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('@chasm/ui/package.json')), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}
