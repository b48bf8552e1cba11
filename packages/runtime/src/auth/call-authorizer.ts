import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { UnauthenticatedError, type Authorizer, type ClaimMapper } from './claims.js';

/** A call refused by the auth gate, with the status the caller gets. */
export class AuthRefusal extends Error {
  constructor(
    readonly code: Status.UNAUTHENTICATED | Status.PERMISSION_DENIED,
    message: string,
  ) {
    super(message);
    this.name = 'AuthRefusal';
  }
}

/**
 * The front door's auth step: claims from the call's `authorization` header, then the
 * authorizer's decision. A bad credential answers UNAUTHENTICATED, a refused call
 * PERMISSION_DENIED (as Temporal does); both are counted and logged at debug without the token.
 */
export class CallAuthorizer {
  private readonly refusals: Counter<'method' | 'code'>;

  constructor(
    private readonly claimMapper: ClaimMapper,
    private readonly authorizer: Authorizer,
    private readonly logger: Logger,
    metrics: Registry,
  ) {
    this.refusals = new Counter({
      name: 'service_authorization_refusals_total',
      help: 'Calls refused by the auth gate, by method and status (UNAUTHENTICATED, PERMISSION_DENIED)',
      labelNames: ['method', 'code'],
      registers: [metrics],
    });
  }

  /**
   * Resolves if the call may go on; rejects with an AuthRefusal otherwise. `authToken` is the
   * call's `authorization` metadata (gRPC) or header (the HTTP API), as sent.
   */
  async check(service: string, method: string, authToken: string | undefined, request: unknown): Promise<void> {
    let claims;
    try {
      claims = await this.claimMapper.getClaims({ authToken });
    } catch (e) {
      if (!(e instanceof UnauthenticatedError)) throw e;
      this.refuse(service, method, Status.UNAUTHENTICATED, e.message);
    }
    const ns = (request as { namespace?: unknown } | null)?.namespace;
    const decision = this.authorizer.authorize(claims, { service, method, namespace: typeof ns === 'string' ? ns : '' });
    if (!decision.allow) this.refuse(service, method, Status.PERMISSION_DENIED, `Request unauthorized: ${decision.reason}`, claims.subject);
  }

  private refuse(service: string, method: string, code: AuthRefusal['code'], message: string, subject?: string): never {
    this.refusals.inc({ method, code: Status[code] });
    this.logger.debug({ method: `${service}/${method}`, code: Status[code], subject, reason: message }, 'rpc refused');
    throw new AuthRefusal(code, message);
  }
}
