import type { JwtClaimMapperOptions } from './jwt-claim-mapper.js';

/**
 * The config file's `auth:` section. With it, every gRPC call but health and GetSystemInfo is
 * authorized: by the built-in JWT claim mapper and default authorizer, or by replacements a
 * package binds to `AuthTokens.ClaimMapper` / `AuthTokens.Authorizer`.
 */
export interface AuthConfig {
  /** The built-in JWT claim mapper's settings; may be absent when a package binds its own mapper. */
  readonly jwt?: JwtClaimMapperOptions;
}
