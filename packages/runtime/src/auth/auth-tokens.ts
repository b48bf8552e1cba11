/**
 * DI tokens an auth package binds to replace the built-in pieces (Temporal's
 * `WithClaimMapper` / `WithAuthorizer`). They are looked up only when the config has `auth:`.
 */
export const AuthTokens = {
  /** A `ClaimMapper`; default: the JWT claim mapper configured under `auth.jwt`. */
  ClaimMapper: Symbol.for('chasm/auth/ClaimMapper'),
  /** An `Authorizer`; default: `DefaultAuthorizer`. */
  Authorizer: Symbol.for('chasm/auth/Authorizer'),
} as const;
