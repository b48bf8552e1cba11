/** What a span of one RPC is told about the call: names and ids, never the request's payloads. */
export interface RpcSpanInfo {
  readonly service: string;
  readonly method: string;
  /** 'grpc' and 'http' are network callers; 'internal' is another package in this process. */
  readonly transport: 'grpc' | 'http' | 'internal';
  readonly namespace: string | undefined;
  /** The decoded request, read only for its trace header (Temporal's `_tracer-data`). */
  readonly request: object;
  /** The call's metadata (W3C `traceparent` / `tracestate`, if the caller sent them). */
  readonly metadata: () => Readonly<Record<string, string>>;
}

/** A hook around each call of the front door; the gRPC status code (0 = OK) ends the span. */
export interface RpcTracer {
  traceRpc<T>(info: RpcSpanInfo, call: () => Promise<T>, codeOf: (result: T) => number): Promise<T>;
}
