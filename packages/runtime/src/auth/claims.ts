/**
 * Temporal's authorization model (server `common/authorization`): a claim mapper turns what a
 * caller presented (the `authorization` header) into claims, and an authorizer decides each call
 * from the claims and the call's target. Both are replaceable (see `AuthTokens`).
 */

/** A role in a namespace (or, as `system`, in every namespace and the cluster). */
export const Role = {
  Reader: 'reader',
  /** Poll and respond to tasks, plus what a reader may do (Temporal's RoleWorker). */
  Worker: 'worker',
  Writer: 'writer',
  Admin: 'admin',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Who the caller is and what they may do. Absent roles mean none. */
export interface Claims {
  readonly subject?: string;
  /** A role over the whole cluster: `admin` is Temporal's system admin. */
  readonly system?: Role;
  /** Roles per namespace name. */
  readonly namespaces: Readonly<Record<string, Role>>;
}

/** What a caller presented with one call. */
export interface AuthInfo {
  /** The `authorization` header as sent (e.g. 'Bearer eyJ…'), if any. */
  readonly authToken: string | undefined;
}

/**
 * Maps what a caller presented to claims. Returns empty claims (`{ namespaces: {} }`) for a
 * caller who presented nothing, and throws `UnauthenticatedError` for a credential that does
 * not verify (bad signature, expired, unknown key).
 */
export interface ClaimMapper {
  getClaims(info: AuthInfo): Promise<Claims>;
}

/** The call being authorized: `service` is the short service name, e.g. 'WorkflowService'. */
export interface CallTarget {
  readonly service: string;
  readonly method: string;
  /** The request's `namespace` field ('' when the method has none). */
  readonly namespace: string;
}

export type AuthDecision = { readonly allow: true } | { readonly allow: false; readonly reason: string };

/** Decides a call from the caller's claims. */
export interface Authorizer {
  authorize(claims: Claims, target: CallTarget): AuthDecision;
}

/** A credential was presented but does not verify; answered UNAUTHENTICATED. */
export class UnauthenticatedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnauthenticatedError';
  }
}
