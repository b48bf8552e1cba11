/**
 * In-process calls to the RPCs the installed packages serve. A feature that needs another
 * feature's public API (the scheduler starting workflows, Nexus starting operations) calls it the
 * way Temporal's own services call the frontend: by service and method, with a request message
 * shaped like the proto, never by importing the other package's internals. The runtime binds it
 * (`TOKENS.ServiceClient`); the request goes through the same codec as a gRPC request, so the
 * handler sees exactly what a remote caller's request would decode to.
 */
export interface ServiceCallOptions {
  /** Aborts the call (long polls end, waits stop). Default: the server's shutdown signal. */
  readonly signal?: AbortSignal;
  readonly deadline?: Date;
  /** Metadata as a gRPC caller would send it (lower-case keys). */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ServiceClient {
  /**
   * Calls `service/method` with a request object shaped like its proto message (the shape
   * protobufjs `fromObject` accepts). Resolves to the handler's response; rejects with the
   * handler's `ChasmError`, or an Unimplemented one when no installed package serves the method.
   * Handlers see `call.internal === true`: internal-only inputs (such as `temporal://internal`
   * completion callbacks) are accepted from these calls only.
   */
  call<Res = unknown>(service: string, method: string, request: object, options?: ServiceCallOptions): Promise<Res>;
}
