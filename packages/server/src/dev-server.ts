/**
 * The dev server's default composition (`dev` with the built-in packages, no `--package`) as
 * one module graph: the entry point that the build bundles into `dist/dev-bundle/` (ADR 0056).
 * The CLI imports that bundle instead of ~1,300 separate modules when it exists and the command
 * line asks for nothing else; this file is also a plain module, so the bundle and the module
 * graph run the same code.
 */
import { runCli } from '@chasm/runtime/run-cli';
import { BUILTIN_PLUGINS, DEV_PACKAGES } from './catalogue.js';
import { uiAssetsDir } from './ui-assets-dir.js';

/** Runs `cli.js dev …` with every built-in feature (the caller checked there is no --package). */
export function runDevServer(argv: readonly string[]): void {
  // The plugins' imports start before the runtime's start-up asks for them, as in cli.ts
  // (loadPlugins then finds them settled; a failure is reported there, so here it is swallowed).
  for (const name of DEV_PACKAGES) void BUILTIN_PLUGINS[name]?.().catch(() => undefined);
  runCli(argv, { catalogue: BUILTIN_PLUGINS, devPackages: DEV_PACKAGES, uiAssetsDir: uiAssetsDir() });
}
