import { Access, accessOf } from './api-access.js';
import { Role, type AuthDecision, type Authorizer, type CallTarget, type Claims } from './claims.js';

/** What each role may do; a role includes the ones below it (Temporal's role bit sets). */
const GRANTS: Readonly<Record<Role, ReadonlySet<Access>>> = {
  [Role.Reader]: new Set([Access.Read]),
  [Role.Worker]: new Set([Access.Read, Access.Worker]),
  [Role.Writer]: new Set([Access.Read, Access.Worker, Access.Write]),
  [Role.Admin]: new Set([Access.Read, Access.Worker, Access.Write, Access.Admin]),
};

const ALLOW: AuthDecision = { allow: true };

/**
 * Temporal's default authorizer: health and GetSystemInfo are open; a system admin may do
 * anything; cluster administration (OperatorService, namespace create/update/deprecate) needs
 * the system admin; routing changes (task queue config, worker deployments) need the
 * namespace's admin role; anything else needs a role in the request's namespace (or a system role)
 * that grants the method's access level.
 */
export class DefaultAuthorizer implements Authorizer {
  authorize(claims: Claims, target: CallTarget): AuthDecision {
    const access = accessOf(target.service, target.method);
    if (access === Access.Always) return ALLOW;
    if (claims.system === Role.Admin) return ALLOW;
    if (access === Access.System) return deny(target, 'needs the system admin role');
    const roles = [claims.system, target.namespace === '' ? undefined : claims.namespaces[target.namespace]];
    if (roles.some((r) => r !== undefined && GRANTS[r].has(access))) return ALLOW;
    const where = target.namespace === '' ? 'the cluster' : `namespace '${target.namespace}'`;
    return deny(target, `needs ${access} access to ${where}`);
  }
}

function deny(target: CallTarget, why: string): AuthDecision {
  return { allow: false, reason: `${target.service}/${target.method} ${why}` };
}
