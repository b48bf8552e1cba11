/**
 * How a plugin contributes HTTP routes (JSON over HTTP, beside the gRPC front door). Plugins
 * bind `HttpRoute`s to TOKENS.HttpRoutes and declare them in their plugin definition; the
 * runtime serves them on its HTTP port. Handlers throw only ChasmError subclasses: the runtime
 * maps them to HTTP statuses in one table, as it does for gRPC.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  /** The path without the query string. */
  readonly path: string;
  /** Values of the route's `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-cased header names, first value only. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: unknown;
  /** Aborted when the client goes away or the server stops. */
  readonly signal: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** Sent as JSON; omitted for an empty body. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpRoute {
  readonly method: HttpMethod;
  /** A path pattern with `:name` segments, e.g. '/api/v1/leases/:namespace/:name'. */
  readonly path: string;
  handle(request: HttpRequest): Promise<HttpResponse>;
}

/** The declaration form of a route, `'PUT /api/v1/leases/:namespace/:name'`. */
export const routeKey = (route: Pick<HttpRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;
