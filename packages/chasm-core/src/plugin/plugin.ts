import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ContainerModule } from 'inversify';

/** A gRPC service and the methods of it a plugin serves (names as in the proto). */
export interface RpcDeclaration {
  /** Fully qualified, e.g. WORKFLOW_SERVICE. */
  readonly service: string;
  readonly methods: readonly string[];
}

/**
 * What a component package tells the server about itself, before anything is bound: its name
 * (the key in a config's `packages:` and `settings:`), the plugin-API range of @chasm/core it was
 * built against, the packages it needs, the RPCs it serves and the schema of its settings. The
 * server checks a chosen set of plugins against these declarations and refuses a bad set with one
 * line, so prerequisites are data, not comments.
 */
export interface PluginDefinition<TConfig> {
  /** kebab-case package name, e.g. 'standalone-activity'. */
  readonly name: string;
  /** The plugin's own version (its package.json version). */
  readonly version: string;
  readonly description?: string;
  /**
   * A semver range of @chasm/core versions the plugin supports; it should equal the plugin's
   * `peerDependencies['@chasm/core']`. A server whose core is outside it refuses to start.
   */
  readonly coreApi: string;
  /** Names of plugins that must be loaded too (e.g. workflow-update requires workflow). */
  readonly requires?: readonly string[];
  /** Every RPC method the plugin may serve. Serving an undeclared method fails start-up. */
  readonly serves?: readonly RpcDeclaration[];
  /** Every HTTP route the plugin may serve, as `'PUT /api/v1/leases/:namespace/:name'`. */
  readonly routes?: readonly string[];
  /**
   * Schema of the plugin's settings (any Standard Schema library: zod, valibot, arktype). The
   * config file's `settings.<name>` is validated by it; its output (defaults applied) is what
   * `module` receives. Without a schema the plugin takes no settings.
   */
  readonly config?: StandardSchemaV1<unknown, TConfig>;
  /** The inversify module binding the plugin's library, handlers, migrations and services. */
  readonly module: (config: TConfig) => ContainerModule;
}

export interface ChasmPlugin<TConfig = unknown> extends PluginDefinition<TConfig> {
  readonly kind: 'chasmPlugin';
  readonly requires: readonly string[];
  readonly serves: readonly RpcDeclaration[];
  readonly routes: readonly string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyChasmPlugin = ChasmPlugin<any>;

const PLUGIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Declares a plugin. Checks the declaration's shape at once, so a typo fails at import. */
export function definePlugin<TConfig = undefined>(def: PluginDefinition<TConfig>): ChasmPlugin<TConfig> {
  if (!PLUGIN_NAME.test(def.name)) throw new TypeError(`plugin name '${def.name}' must be kebab-case (e.g. 'my-plugin')`);
  return { ...def, kind: 'chasmPlugin', requires: def.requires ?? [], serves: def.serves ?? [], routes: def.routes ?? [] };
}

export function isChasmPlugin(value: unknown): value is AnyChasmPlugin {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'chasmPlugin';
}
