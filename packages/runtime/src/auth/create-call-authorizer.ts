import type { Container } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuthConfig } from './auth-config.js';
import { AuthTokens } from './auth-tokens.js';
import { CallAuthorizer } from './call-authorizer.js';
import type { Authorizer, ClaimMapper } from './claims.js';
import { DefaultAuthorizer } from './default-authorizer.js';
import { JwtClaimMapper } from './jwt-claim-mapper.js';

/**
 * The auth gate for a config with `auth:`: a package's claim mapper and authorizer if one bound
 * them, else the JWT claim mapper from `auth.jwt` and the default authorizer. A JWKS file is
 * loaded now, so a bad one fails start-up.
 */
export async function createCallAuthorizer(config: AuthConfig, container: Container, logger: Logger, metrics: Registry): Promise<CallAuthorizer> {
  let claimMapper: ClaimMapper;
  if (container.isBound(AuthTokens.ClaimMapper)) {
    claimMapper = container.get<ClaimMapper>(AuthTokens.ClaimMapper);
  } else if (config.jwt) {
    const jwt = new JwtClaimMapper(config.jwt);
    await jwt.ready();
    claimMapper = jwt;
  } else {
    throw new Error('auth: needs auth.jwt, or a package that binds AuthTokens.ClaimMapper');
  }
  const authorizer = container.isBound(AuthTokens.Authorizer) ? container.get<Authorizer>(AuthTokens.Authorizer) : new DefaultAuthorizer();
  return new CallAuthorizer(claimMapper, authorizer, logger, metrics);
}
