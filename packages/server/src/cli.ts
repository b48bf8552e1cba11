#!/usr/bin/env node
/**
 * The server app's command line (`npm start` runs `dev`):
 *   node dist/cli.js dev [--port N] [--ip HOST] [--db-file DIR] [--metrics-port N|off] [--http-port N|off] [--ui-port N|off]
 *                        [--log-level L] [--log-format pretty|json] [--otlp-endpoint URL] [--namespace NAME]... [--package NAME]...
 *   node dist/cli.js start --config FILE
 */
import { runCli } from '@chasm/runtime';
import { BUILTIN_PLUGINS, DEV_PACKAGES } from './catalogue.js';
import { uiAssetsDir } from './ui-assets-dir.js';

runCli(process.argv.slice(2), { catalogue: BUILTIN_PLUGINS, devPackages: DEV_PACKAGES, uiAssetsDir: uiAssetsDir() });
