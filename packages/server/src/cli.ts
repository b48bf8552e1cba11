#!/usr/bin/env node
/**
 * The server app's command line (`npm start` runs `dev`):
 *   node dist/cli.js dev [--port N] [--ip HOST] [--db-file DIR] [--metrics-port N|off] [--http-port N|off] [--ui-port N|off]
 *                        [--log-level L] [--log-format pretty|json] [--otlp-endpoint URL] [--namespace NAME]... [--package NAME]...
 *   node dist/cli.js start --config FILE
 */
import { existsSync } from 'node:fs';
import { prewarmPGlite } from '@chasm/core/pglite-prewarm';
import type { runDevServer } from './dev-server.js';

// The dev server always runs on PGlite: its WebAssembly is read and compiled on other threads
// while the main thread loads the server's modules below (ADR 0054). Only this module and
// node built-ins are loaded before this line, so the rest of the server is imported dynamically
// (a static import would be evaluated first).
if (process.argv[2] === 'dev') prewarmPGlite();

const command = process.argv[2];
const packagesAsked = process.argv.some((a) => a === '--package' || a.startsWith('--package='));

// `dev` with the built-in packages runs from the bundle the build made of dev-server.ts (a few
// files instead of ~1,300 modules, ADR 0056). Anything else (`start --config`, `dev --package`,
// whose plugins may import @chasm/core from their own folders and must share the server's
// instance) loads the module graph below, as does `dev` when the bundle is missing.
const bundled = command === 'dev' && !packagesAsked && (await runDevBundle());
if (!bundled) await runModules();

/** Runs the dev server from the bundle; false (nothing started) when there is no bundle to run. */
async function runDevBundle(): Promise<boolean> {
  const bundle = new URL('./dev-bundle/dev-server.js', import.meta.url);
  if (!existsSync(bundle)) return false;
  let loaded: { runDevServer: typeof runDevServer };
  try {
    loaded = (await import(bundle.href)) as { runDevServer: typeof runDevServer };
  } catch (e) {
    // A bundle that does not link (a dependency it imports from node_modules is gone since the
    // build) has run nothing yet: say so and load the modules instead.
    if ((e as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    process.emitWarning(`the dev bundle does not load (${(e as Error).message.split('\n')[0]}); rebuild @chasm/server. Loading modules instead.`);
    return false;
  }
  loaded.runDevServer(process.argv.slice(2));
  return true;
}

async function runModules(): Promise<void> {
  // The catalogue is one small module. With it, `dev` without --package starts importing the
  // built-in plugins beside the runtime rather than after it (loadPlugins' own calls then find
  // them in the module cache; a failure is reported there, so here it is only swallowed).
  const { BUILTIN_PLUGINS, DEV_PACKAGES } = await import('./catalogue.js');
  if (command === 'dev' && !packagesAsked) {
    for (const name of DEV_PACKAGES) void BUILTIN_PLUGINS[name]?.().catch(() => undefined);
  }
  const [{ runCli }, { uiAssetsDir }] = await Promise.all([
    // run-cli, not the package's index: the index also exports the JWT claim mapper (and so jose),
    // which a server without `auth:` never loads.
    import('@chasm/runtime/run-cli'),
    import('./ui-assets-dir.js'),
  ]);
  runCli(process.argv.slice(2), { catalogue: BUILTIN_PLUGINS, devPackages: DEV_PACKAGES, uiAssetsDir: uiAssetsDir() });
}
