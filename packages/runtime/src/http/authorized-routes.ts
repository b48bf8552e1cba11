import { status as Status } from '@grpc/grpc-js';
import type { HttpAuthTarget, HttpRequest, HttpRoute } from '@chasm/core';
import { AuthRefusal, type CallAuthorizer } from '../auth/call-authorizer.js';

/**
 * Plugins' HTTP routes behind the same auth gate as gRPC and the HTTP API (ADR 0031): each call
 * is checked by the server's CallAuthorizer, with the `authorization` header as a gRPC call's
 * metadata, against the API the route says it stands for (`authTarget`). A refused call answers
 * 401 (no or bad credential) or 403 (not allowed) before the route's handler reads anything.
 */
export function authorizeRoutes(routes: readonly HttpRoute[], auth: CallAuthorizer): HttpRoute[] {
  return routes.map((route) => {
    const authorized: HttpRoute = {
      method: route.method,
      path: route.path,
      ...(route.raw !== undefined ? { raw: route.raw } : {}),
      handle: async (req) => {
        const target = route.authTarget ? await route.authTarget(req) : defaultTarget(route, req);
        if (target !== 'public') {
          try {
            await auth.check(target.service, target.method, req.headers['authorization'], { namespace: target.namespace });
          } catch (e) {
            if (!(e instanceof AuthRefusal)) throw e;
            const unauthenticated = e.code === Status.UNAUTHENTICATED;
            return { status: unauthenticated ? 401 : 403, body: { code: unauthenticated ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message: e.message } };
          }
        }
        return route.handle(req);
      },
    };
    return authorized;
  });
}

/**
 * A route that does not say what it is: a write in the namespace of its `:namespace` segment,
 * else a cluster-wide one (the system admin only). Never open by default.
 */
function defaultTarget(route: HttpRoute, req: HttpRequest): HttpAuthTarget {
  return { service: 'HttpRoute', method: `${route.method} ${route.path}`, namespace: req.params['namespace'] ?? '' };
}
