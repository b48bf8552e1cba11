import type { LocalServiceClient } from './local-service-client.js';
import { Server, type ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallAuthorizer } from '../auth/call-authorizer.js';
import { OPERATOR_SERVICE, WORKFLOW_SERVICE, type RpcCallContext, type RpcHandlerSet, type RpcMethod } from '@chasm/core';
import type { MethodDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { RpcMetrics } from '../metrics/rpc-metrics.js';
import { LimitMetrics } from '../metrics/limit-metrics.js';
import { RpcAdmission } from '../limits/rpc-admission.js';
import { DEFAULT_RPC_LIMITS, type RpcLimits } from '../limits/rpc-limits.js';
import { LogRateLimiter } from '@chasm/core';
import { PortInUseError } from '../ports/port-in-use-error.js';
import type { RpcTracer } from '../telemetry/rpc-tracer.js';
import { invokeMethod, unaryHandler, type CallHandlerDeps, type CallOutcome } from './call-handler.js';
import { buildHandlerTable, key, type RoutedMethod } from './handler-table.js';
import { serviceMethods, toServiceDefinition, type ServedMethod } from './service-definition.js';
import { HealthService } from './health-service.js';

/** The Temporal services the front door serves, each with every method the protos define. */
export const SERVED_SERVICES = [WORKFLOW_SERVICE, OPERATOR_SERVICE] as const;

/** Every unary method of the served services, as the protos define them. */
export function servedProtoMethods(): ServedMethod[] {
  return SERVED_SERVICES.flatMap((s) => serviceMethods(s)).filter((m) => !m.streaming);
}

const MiB = 1024 * 1024;
/** Custom endpoints have no gRPC codec: nothing in the chain serializes their messages. */
const CUSTOM_DEFINITION = {} as MethodDefinition<object, object>;
const SHUTDOWN_GRACE_MS = 5_000;
/** At most one 'rpc unavailable' line this often (a database outage fails every call). */
const UNAVAILABLE_LOG_INTERVAL_MS = 5_000;
/** At most one 'rpc refused' line this often (a flood past a quota is refused on every call). */
const REFUSED_LOG_INTERVAL_MS = 5_000;

export interface GrpcFrontDoorOptions {
  readonly handlerSets: readonly RpcHandlerSet[];
  readonly logger: Logger;
  readonly metrics: RpcMetrics;
  /** Insecure, TLS or mTLS (see `grpcServerCredentials`). */
  readonly credentials: ServerCredentials;
  /** The auth gate; absent = every call is allowed. */
  readonly auth?: CallAuthorizer;
  /** Rate and concurrency limits (default: DEFAULT_RPC_LIMITS). */
  readonly limits?: RpcLimits;
  /** Where the admission metrics go. */
  readonly registry: MetricsRegistry;
  /** A span per call (gRPC and HTTP API); absent = no tracing. */
  readonly tracer?: RpcTracer;
}

/**
 * The gRPC server: every WorkflowService and OperatorService method, routed to package
 * handlers (or UNIMPLEMENTED), plus the standard health service.
 * Construction validates the handler table, so a bad composition fails before binding a port.
 */
export class GrpcFrontDoor {
  private readonly methods: ServedMethod[];
  private readonly table: Map<string, RoutedMethod>;
  private readonly shutdown = new AbortController();
  private readonly health: HealthService;
  private readonly deps: CallHandlerDeps;
  private readonly byKey: ReadonlyMap<string, ServedMethod>;
  private server: Server | undefined;

  constructor(private readonly options: GrpcFrontDoorOptions) {
    this.methods = servedProtoMethods();
    this.byKey = new Map(this.methods.map((m) => [key(m.service, m.method), m]));
    this.table = buildHandlerTable(this.methods, options.handlerSets);
    const admission = new RpcAdmission(options.limits ?? DEFAULT_RPC_LIMITS);
    this.deps = {
      logger: options.logger,
      metrics: options.metrics,
      shutdown: this.shutdown.signal,
      unavailableLog: new LogRateLimiter(UNAVAILABLE_LOG_INTERVAL_MS),
      admission,
      limitMetrics: new LimitMetrics(options.registry, () => admission.inFlight()),
      refusedLog: new LogRateLimiter(REFUSED_LOG_INTERVAL_MS),
      ...(options.auth ? { auth: options.auth } : {}),
      ...(options.tracer ? { tracer: options.tracer } : {}),
    };
    this.health = new HealthService({ '': 'NOT_SERVING', ...Object.fromEntries(SERVED_SERVICES.map((s) => [s, 'NOT_SERVING' as const])) });
  }

  /** Routes the in-process service client through this front door's table. */
  attachLocalClient(client: LocalServiceClient): void {
    client.attach(this.methods, this.table, this.shutdown.signal);
  }

  /** Methods answered by a package (the rest answer UNIMPLEMENTED). */
  implementedMethods(): string[] {
    return [...this.table.keys()];
  }

  /** The served method `service/method` (its codec), if the protos define it as unary. */
  servedMethod(service: string, method: string): ServedMethod | undefined {
    return this.byKey.get(key(service, method));
  }

  /**
   * Calls a method through the same chain a gRPC call takes (metrics, logging, UNIMPLEMENTED,
   * error mapping): how other transports (the HTTP API) reach the handlers. `request` must be
   * a decoded message of the method's request type. The context's signal should include
   * `shutdownSignal`.
   */
  dispatch(method: ServedMethod, request: object, context: RpcCallContext, transport: 'grpc' | 'http' = 'grpc'): Promise<CallOutcome> {
    return invokeMethod(method, this.table.get(key(method.service, method.method)), this.deps, request, context, transport);
  }

  /**
   * Calls an endpoint that is not a proto method (the CHASM inspector) through the same chain:
   * metrics, auth (by `accessOf(serviceName, method)`), admission and the error mapping. Its
   * request is a plain object; a `namespace` field scopes auth and rate limits as for RPCs.
   */
  dispatchCustom(serviceName: string, method: string, handler: RpcMethod, request: object, context: RpcCallContext): Promise<CallOutcome> {
    const served: ServedMethod = { serviceName, service: serviceName, method, path: `/${serviceName}/${method}`, streaming: false, definition: CUSTOM_DEFINITION };
    return invokeMethod(served, { handler }, this.deps, request, context);
  }

  /** Aborted when the front door stops (long polls end with it). */
  get shutdownSignal(): AbortSignal {
    return this.shutdown.signal;
  }

  /** Binds and starts serving; returns the bound port (useful with port 0). */
  async start(host: string, port: number): Promise<number> {
    const server = new Server({
      // Workers send whole workflow-task completions; grpc's 4 MiB default is too small.
      'grpc.max_receive_message_length': 128 * MiB,
      'grpc.max_send_message_length': 128 * MiB,
      // SDK clients keep idle connections alive with pings.
      'grpc.keepalive_permit_without_calls': 1,
      // Channelz bookkeeping ran on every call (~1.2% of the server's CPU under load, issue 16)
      // and nothing here reads it.
      'grpc.enable_channelz': 0,
    });
    const deps = this.deps;
    for (const service of SERVED_SERVICES) {
      const methods = this.methods.filter((m) => m.service === service);
      const impl: UntypedServiceImplementation = {};
      for (const m of methods) impl[m.method] = unaryHandler(m, this.table.get(key(m.service, m.method)), deps);
      server.addService(toServiceDefinition(methods), impl);
    }
    this.health.addToServer(server);
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, this.options.credentials, (err, p) =>
        err
          ? reject(
              // grpc-js folds the bind error into its message; a taken port is a one-line start-up error.
              /EADDRINUSE/.test(err.message)
                ? new PortInUseError('gRPC', host, port, { cause: err })
                : new Error(`gRPC: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }),
            )
          : resolve(p),
      ),
    );
    this.server = server;
    for (const s of ['', ...SERVED_SERVICES]) this.health.setStatus(s, 'SERVING');
    return bound;
  }

  /** Stops accepting calls, ends in-flight long polls, and waits briefly for calls to finish. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of ['', ...SERVED_SERVICES]) this.health.setStatus(s, 'NOT_SERVING');
    this.shutdown.abort(new Error('server is shutting down'));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
