import { fileURLToPath } from 'node:url';
import { spawnServerProcess, type ServerProcess, type ServerProcessOptions as CoreOptions } from '@chasm/core/testing';

export { freePort, type ChildDatabase, type ServerProcess } from '@chasm/core/testing';

/** The built server CLI, run in a child process by the benchmark (never imported: layering). */
export const SERVER_CLI = fileURLToPath(new URL('../../../server/dist/cli.js', import.meta.url));

export type ServerProcessOptions = Omit<CoreOptions, 'cli' | 'packages'> & { readonly packages?: readonly string[] };

/** Starts the server CLI with matching, workflow and workflow-update unless told otherwise. */
export function spawnServer(opts: ServerProcessOptions): Promise<ServerProcess> {
  return spawnServerProcess({ logLevel: 'error', ...opts, cli: SERVER_CLI, packages: opts.packages ?? ['matching', 'workflow', 'workflow-update'] });
}
