import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_PACKAGES } from '../src/catalogue.js';
import { DEV_BUNDLE_DIR, modulesBehind, spawnDevServer } from './dev-cli.js';

/**
 * What the dev server imports before it serves (ADR 0054): module loading is the largest part
 * of its start, so modules only some configurations need stay out of a plain `dev` boot. A
 * loader hook records every ES module (and every CommonJS module an ES module imports) loaded
 * up to the `server started` line. Runs the built CLI (dist), on both of its paths: the bundle
 * of the default composition (ADR 0056), where the modules are those inside the bundle files
 * that loaded, and the module graph (`--package`).
 */
describe('dev server boot: modules loaded', () => {
  const offenders = (modules: readonly string[]): string[] =>
    modules.filter(
      (u) => /\/node_modules\/jose\//.test(u) || /\/node_modules\/uuid\//.test(u) || /\/node_modules\/semver\/index\.js$/.test(u) || /\/node_modules\/@temporalio\/common\/lib\/index\.js$/.test(u),
    );

  it('leaves out jose, the semver and @temporalio/common indexes and uuid (bundled, `npm start`)', { timeout: 300_000 }, async () => {
    expect(existsSync(join(DEV_BUNDLE_DIR, 'dev-server.js'))).toBe(true);
    const server = await spawnDevServer([]);
    const loaded = server.loadedBeforeServing();
    await server.stop();
    // The bundle ran, not the module graph: no plugin's own dist/ module was loaded.
    expect(loaded).toContain(join(DEV_BUNDLE_DIR, 'dev-server.js'));
    expect(loaded.filter((u) => u.includes('/workflow/dist/'))).toEqual([]);
    const modules = modulesBehind(loaded);
    // The server itself did load (the plugins inside the bundle, PGlite from its own files).
    expect(modules.some((u) => u.includes('/workflow/dist/'))).toBe(true);
    expect(loaded.some((u) => u.includes('@electric-sql/pglite'))).toBe(true);
    expect(offenders(modules)).toEqual([]);
  });

  it('leaves out jose, the semver and @temporalio/common indexes and uuid (module graph, --package)', { timeout: 300_000 }, async () => {
    const server = await spawnDevServer(DEV_PACKAGES.flatMap((p) => ['--package', p]));
    const loaded = server.loadedBeforeServing();
    await server.stop();
    expect(loaded.some((u) => u.startsWith(DEV_BUNDLE_DIR))).toBe(false);
    // The server itself did load (the hook saw the plugins and PGlite).
    expect(loaded.some((u) => u.includes('/workflow/dist/'))).toBe(true);
    expect(loaded.some((u) => u.includes('@electric-sql/pglite'))).toBe(true);
    expect(offenders(loaded)).toEqual([]);
  });
});
