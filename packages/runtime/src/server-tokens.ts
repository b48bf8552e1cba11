/**
 * DI tokens owned by the runtime. Plugins do not use them; they are for the runtime's own modules and for tests; shared tokens live in @chasm/core.
 */
export const ServerTokens = {
  /** The validated `ServerConfig`. */
  Config: Symbol.for('chasm/server/Config'),
  /** The `Namespaces` service (TOKENS.Namespaces resolves to the same object). */
  Namespaces: Symbol.for('chasm/server/Namespaces'),
  /** `ServerFeatures`: which methods installed packages implement. */
  Features: Symbol.for('chasm/server/Features'),
  /** Multi-bound: the runtime's own RpcHandlerSets (namespaces, system), which no plugin declares. */
  CoreRpcHandlers: Symbol.for('chasm/server/CoreRpcHandlers'),
  /** `ClusterIdentity`: the cluster id and shard count, loaded at start. */
  ClusterIdentity: Symbol.for('chasm/server/ClusterIdentity'),
  /** `TracingHolder`: the server's OpenTelemetry tracing, if configured (ADR 0029). */
  Tracing: Symbol.for('chasm/server/Tracing'),
} as const;
