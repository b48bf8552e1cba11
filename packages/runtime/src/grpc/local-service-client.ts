import { ChasmError, ErrorCode, type RpcCallContext, type ServiceCallOptions, type ServiceClient } from '@chasm/core';
import { key, type RoutedMethod } from './handler-table.js';
import { MalformedRequest, type ServedMethod } from './service-definition.js';

/** Thrown for a method no installed package serves (UNIMPLEMENTED, as a remote caller would see). */
class UnimplementedError extends ChasmError {
  constructor(method: string) {
    super(ErrorCode.Unimplemented, `${method} is not implemented by any installed package`);
  }
}

/**
 * The in-process `ServiceClient` (TOKENS.ServiceClient). It is bound before the front door
 * exists (plugins' modules resolve it while the container is built) and attached once the
 * routing table is: calls before that fail as UNAVAILABLE, which tasks retry.
 */
export class LocalServiceClient implements ServiceClient {
  #table: ReadonlyMap<string, RoutedMethod> | undefined;
  #methods = new Map<string, ServedMethod>();
  #shutdown: AbortSignal | undefined;

  attach(methods: readonly ServedMethod[], table: ReadonlyMap<string, RoutedMethod>, shutdown: AbortSignal): void {
    this.#methods = new Map(methods.map((m) => [key(m.service, m.method), m]));
    this.#table = table;
    this.#shutdown = shutdown;
  }

  async call<Res = unknown>(service: string, method: string, request: object, options: ServiceCallOptions = {}): Promise<Res> {
    const k = key(service, method);
    if (!this.#table || !this.#shutdown) throw new ChasmError(ErrorCode.Unavailable, 'the server is not serving yet');
    const served = this.#methods.get(k);
    const route = this.#table.get(k);
    if (!served || !route) throw new UnimplementedError(`${service.slice(service.lastIndexOf('.') + 1)}/${method}`);
    // The gRPC codec, both ways: the handler sees what a remote caller's request decodes to.
    const decoded = served.definition.requestDeserialize(served.definition.requestSerialize(request));
    if (decoded instanceof MalformedRequest) throw new ChasmError(ErrorCode.Internal, `in-process ${method} request does not encode: ${decoded.reason}`);
    const signal = options.signal ? AbortSignal.any([options.signal, this.#shutdown]) : this.#shutdown;
    const context: RpcCallContext = { signal, deadline: options.deadline, metadata: options.metadata ?? {}, internal: true };
    return (await route.handler(decoded, context)) as Res;
  }
}
