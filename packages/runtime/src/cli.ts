#!/usr/bin/env node
// The runtime's own CLI: a server that knows no feature. Plugins are named by package name or
// module path in the config (`packages:`); 'tests' is the reference library. Feature packages'
// crash tests and benchmarks run it in a child process (see testing/runtime-process.ts).
import { referencePlugin } from './plugins/reference-plugin.js';
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2), { catalogue: { tests: async () => referencePlugin }, devPackages: [] });
