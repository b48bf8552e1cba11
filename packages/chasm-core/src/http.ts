/**
 * How a plugin contributes HTTP routes (JSON over HTTP, beside the gRPC front door; a route
 * marked `raw` takes and answers bytes of any content type instead). Plugins
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
  /** The parsed JSON body; undefined when there is none, and always on a `raw` route. */
  readonly body: unknown;
  /** The body's bytes, on a `raw` route only (empty when there is none); never parsed. */
  readonly rawBody?: Uint8Array;
  /** Aborted when the client goes away or the server stops. */
  readonly signal: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** Sent as JSON; omitted for an empty body. */
  readonly body?: unknown;
  /** Sent as is, instead of `body`, with `headers` (content-type included) as the route sets them. */
  readonly rawBody?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpRoute {
  readonly method: HttpMethod;
  /** A path pattern with `:name` segments, e.g. '/api/v1/leases/:namespace/:name'. */
  readonly path: string;
  /**
   * Take the body as bytes (`rawBody`, any content type) instead of parsed JSON. Such a route
   * speaks a protocol of its own (e.g. Nexus): it should answer its errors itself; what it throws
   * still maps through the runtime's table.
   */
  readonly raw?: boolean;
  /**
   * What a call to this route is, for the server's authorizer (when `auth:` is configured): the
   * API name and namespace the claims are checked against, as for a gRPC method. `'public'`
   * when the route authenticates its callers itself (e.g. a signed callback token). Without it
   * the route counts as method `<METHOD> <path>` of service `HttpRoute`, in the namespace of its
   * `:namespace` segment if it has one, else cluster-wide: writers of that namespace, or the
   * system admin.
   */
  authTarget?(request: HttpRequest): Promise<HttpAuthTarget | 'public'>;
  handle(request: HttpRequest): Promise<HttpResponse>;
}

/** The API a plugin's HTTP call stands for, as the authorizer sees a gRPC call. */
export interface HttpAuthTarget {
  /** e.g. 'NexusService' (the gRPC service's short name). */
  readonly service: string;
  /** e.g. 'DispatchByEndpoint'. */
  readonly method: string;
  /** The namespace's name; '' for a cluster-wide call. */
  readonly namespace: string;
}

/**
 * Where the runtime's HTTP front door listens, as a base URL (`http://127.0.0.1:7243`), once it
 * does; undefined while it does not (no HTTP port configured, or not started yet). Bound by the
 * runtime under TOKENS.HttpAddress, for packages that hand their own URLs to others (callbacks).
 */
export class HttpAddress {
  #baseUrl: string | undefined;

  get baseUrl(): string | undefined {
    return this.#baseUrl;
  }

  /** Called by the runtime when its HTTP port is bound. */
  set(baseUrl: string | undefined): void {
    this.#baseUrl = baseUrl;
  }
}

/** The declaration form of a route, `'PUT /api/v1/leases/:namespace/:name'`. */
export const routeKey = (route: Pick<HttpRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;
