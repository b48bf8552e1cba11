/**
 * Dependency-injection tokens shared by all packages. Only `module.ts` files and the server's
 * composition touch inversify; domain code takes plain constructor arguments.
 */
export const TOKENS = {
  /** Multi-bound: every package's CHASM `Library`. */
  Library: Symbol.for('chasm/Library'),
  /** Multi-bound: every package's `RpcHandlerSet`. */
  RpcHandlers: Symbol.for('chasm/RpcHandlers'),
  /** Multi-bound: `HttpRoute`s (one, or a list per binding) a package serves on the runtime's HTTP port. */
  HttpRoutes: Symbol.for('chasm/HttpRoutes'),
  /** The runtime's `HttpAddress`: the base URL its HTTP port serves, once bound. */
  HttpAddress: Symbol.for('chasm/HttpAddress'),
  /** Multi-bound: `{ table, migrations }` each package needs run before start. */
  Migrations: Symbol.for('chasm/Migrations'),
  /** Multi-bound: `Lifecycle` hooks (start/stop) for background services. */
  Service: Symbol.for('chasm/Service'),
  Database: Symbol.for('chasm/Database'),
  ExecutionStore: Symbol.for('chasm/ExecutionStore'),
  Registry: Symbol.for('chasm/Registry'),
  Engine: Symbol.for('chasm/Engine'),
  Clock: Symbol.for('chasm/Clock'),
  /** A pino Logger. */
  Logger: Symbol.for('chasm/Logger'),
  /** A prom-client Registry. */
  Metrics: Symbol.for('chasm/Metrics'),
  /** Resolves namespace names to ids (server-provided). */
  Namespaces: Symbol.for('chasm/Namespaces'),
  /** In-process calls to the RPCs installed packages serve (runtime-provided `ServiceClient`). */
  ServiceClient: Symbol.for('chasm/ServiceClient'),
  /** Multi-bound: `CompletionReceiver`s of internal completion callbacks, one per archetype. */
  CompletionReceivers: Symbol.for('chasm/CompletionReceivers'),
  /** Multi-bound: `CallbackDeliverer`s for callback URL schemes (http/https: Nexus). */
  CallbackDeliverers: Symbol.for('chasm/CallbackDeliverers'),
  /** Multi-bound: `NamespacePurgeStep`s, each removing a package's data of a deleted namespace. */
  NamespacePurgeSteps: Symbol.for('chasm/NamespacePurgeSteps'),
} as const;

/** A background service started after migrations and stopped before the database closes. */
export interface ServiceLifecycle {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A package's migration set, run in its own migration table. */
export interface MigrationSet {
  readonly table: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly migrations: Readonly<Record<string, { up(db: any): Promise<void>; down?(db: any): Promise<void> }>>;
}

/** Namespace name/id resolution, for handlers that receive a namespace name. */
export interface NamespaceResolver {
  /**
   * Throws NotFoundError naming the namespace if it does not exist. With `forNewExecution`
   * (StartWorkflowExecution, SignalWithStart) it also throws FailedPreconditionError when the
   * namespace is deprecated, as Temporal's namespace validator does.
   */
  idOf(name: string, options?: { readonly forNewExecution?: boolean }): Promise<string>;
  nameOf(id: string): Promise<string>;
}
