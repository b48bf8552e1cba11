#!/usr/bin/env node
/**
 * The server app's command line (`npm start` runs `dev`):
 *   node dist/cli.js dev [--port N] [--ip HOST] [--db-file DIR] [--metrics-port N|off] [--http-port N|off] [--ui-port N|off]
 *                        [--log-level L] [--log-format pretty|json] [--otlp-endpoint URL] [--namespace NAME]... [--package NAME]...
 *   node dist/cli.js start --config FILE
 */
import { prewarmPGlite } from '@chasm/core/pglite-prewarm';

// The dev server always runs on PGlite: its WebAssembly is read and compiled on other threads
// while the main thread loads the server's modules below (ADR 0054). Only this module and
// node built-ins are loaded before this line, so the rest of the server is imported dynamically
// (a static import would be evaluated first).
if (process.argv[2] === 'dev') prewarmPGlite();

// The catalogue is one small module. With it, `dev` without --package starts importing the
// built-in plugins beside the runtime rather than after it (loadPlugins' own calls then find
// them in the module cache; a failure is reported there, so here it is only swallowed).
const { BUILTIN_PLUGINS, DEV_PACKAGES } = await import('./catalogue.js');
if (process.argv[2] === 'dev' && !process.argv.some((a) => a === '--package' || a.startsWith('--package='))) {
  for (const name of DEV_PACKAGES) void BUILTIN_PLUGINS[name]?.().catch(() => undefined);
}
const [{ runCli }, { uiAssetsDir }] = await Promise.all([
  // run-cli, not the package's index: the index also exports the JWT claim mapper (and so jose),
  // which a server without `auth:` never loads.
  import('@chasm/runtime/run-cli'),
  import('./ui-assets-dir.js'),
]);

runCli(process.argv.slice(2), { catalogue: BUILTIN_PLUGINS, devPackages: DEV_PACKAGES, uiAssetsDir: uiAssetsDir() });
