/**
 * DI tokens owned by the server package. Feature packages never depend on the server, so
 * these are for the server's own modules and for tests; shared tokens live in @chasm/core.
 */
export const ServerTokens = {
  /** The validated `ServerConfig`. */
  Config: Symbol.for('chasm/server/Config'),
  /** The `Namespaces` service (TOKENS.Namespaces resolves to the same object). */
  Namespaces: Symbol.for('chasm/server/Namespaces'),
  /** `ServerFeatures`: which methods installed packages implement. */
  Features: Symbol.for('chasm/server/Features'),
  /** `ClusterIdentity`: the cluster id and shard count, loaded at start. */
  ClusterIdentity: Symbol.for('chasm/server/ClusterIdentity'),
} as const;
