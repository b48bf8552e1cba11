import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import type { ServerProcess, ServerProcessOptions as CoreOptions } from '@chasm/core/testing';

export { freePort, type ChildDatabase, type ServerProcess } from '@chasm/core/testing';

export type ServerProcessOptions = Omit<CoreOptions, 'cli' | 'packages'> & { readonly packages?: readonly string[] };

/**
 * A server in a child process (for crash tests and benchmarks): the feature-free runtime CLI
 * with this package's plugins loaded by path — @chasm/matching @chasm/standalone-activity unless told otherwise.
 */
export function spawnServer(opts: ServerProcessOptions): Promise<ServerProcess> {
  const packages = (opts.packages ?? ['@chasm/matching', '@chasm/standalone-activity']).map((p) => pluginPath(p, import.meta.url));
  return spawnRuntime({ logLevel: 'warn', ...opts, packages });
}
