/**
 * A Nexus endpoint as the registry holds it: cluster-wide (not per namespace), addressed by a
 * server-generated id, named uniquely, versioned for optimistic concurrency.
 */
export interface NexusEndpoint {
  /** A UUID chosen by the server at creation; never changes. */
  readonly id: string;
  /** 1 at creation, +1 at every update. Update and delete must name the current one. */
  readonly version: number;
  readonly name: string;
  /** The endpoint's description, a Temporal Payload kept as the caller sent it (never logged). */
  readonly description: EndpointDescription | undefined;
  readonly target: EndpointTarget;
  readonly createdAt: Date;
  /** The time of the last update; equal to `createdAt` until the first one. */
  readonly updatedAt: Date;
}

/** A Temporal Payload: metadata (e.g. `encoding`) and data, both raw bytes. */
export interface EndpointDescription {
  readonly metadata: Readonly<Record<string, Uint8Array>>;
  readonly data: Uint8Array;
}

/**
 * Where requests for the endpoint go. A worker target keeps the namespace's id (what routing
 * needs, and what survives a rename) and the name it had when the target was written (a fallback
 * for rendering if the namespace is gone).
 */
export type EndpointTarget =
  | { readonly kind: 'worker'; readonly namespaceId: string; readonly namespace: string; readonly taskQueue: string }
  | { readonly kind: 'external'; readonly url: string };

/** What create and update write: the user-controlled part of an endpoint, validated. */
export interface EndpointSpec {
  readonly name: string;
  readonly description: EndpointDescription | undefined;
  readonly target: EndpointTarget;
}

/** The path prefix under which the endpoint is served (Temporal's `url_prefix`). */
export function endpointUrlPrefix(id: string): string {
  return `/nexus/endpoints/${id}/services`;
}
