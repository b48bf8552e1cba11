import {
  TOKENS,
  type CallbackDeliverer,
  type Clock,
  type CompletionReceiver,
  type Database,
  type Engine,
  type HttpAddress,
  type HttpRoute,
  type NamespacePurgeStep,
  type NamespaceResolver,
  type ServiceLifecycle,
} from '@chasm/core';
import { MATCHING, type MatchingService } from '@chasm/matching';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_NEXUS_CONFIG, type NexusConfig } from './config.js';
import { NEXUS_DISPATCHER } from './dispatch/nexus-dispatcher.js';
import { NexusTaskDispatcher } from './dispatch/task-dispatcher.js';
import { NEXUS_ENDPOINTS } from './endpoints/endpoint-registry.js';
import { EndpointService } from './endpoints/endpoint-service.js';
import { EndpointStore } from './endpoints/endpoint-store.js';
import { endpointTargetGuard, namespaceGone } from './endpoints/endpoint-target-guard.js';
import { nexusMigrations } from './endpoints/migrations.js';
import { endpointRpcHandlers } from './grpc/endpoint-handlers.js';
import { nexusTaskRpcHandlers } from './grpc/nexus-task-handlers.js';
import { NexusMetrics } from './metrics.js';
import { createNexusLibrary } from './library.js';
import { EndpointCircuitBreakers } from './operation/circuit-breakers.js';
import { operationCompletionReceiver, standaloneCompletionReceiver } from './operation/completion-receiver.js';
import { operationRpcHandlers } from './grpc/operation-handlers.js';
import { CallbackTokenSigner } from './http/callback-token.js';
import { httpCallbackDeliverer, HttpNexusClient } from './http/http-transport.js';
import { nexusHttpRoutes } from './http/nexus-routes.js';

/** DI token of this package's validated settings (`settings.nexus` in the server config). */
export const NEXUS_CONFIG = Symbol.for('chasm/NexusConfig');
const NEXUS_METRICS = Symbol.for('chasm/NexusMetrics');

/**
 * Binds the endpoint registry (its table's migrations, the service, the five OperatorService
 * methods), exposed to other packages as `NEXUS_ENDPOINTS`, and the Nexus task dispatcher with
 * the worker-side RPCs, exposed as `NEXUS_DISPATCHER`. The only place in the package that
 * touches inversify: factories receive the runtime's services (TOKENS.*) as plain arguments.
 */
export const nexusModule = (config: NexusConfig = DEFAULT_NEXUS_CONFIG): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind<NexusConfig>(NEXUS_CONFIG).toConstantValue(config);
    bind(TOKENS.Migrations).toConstantValue(nexusMigrations);
    bind<NexusMetrics>(NEXUS_METRICS)
      .toResolvedValue((registry: Registry) => new NexusMetrics(registry), [TOKENS.Metrics])
      .inSingletonScope();
    // One service behind both tokens, so the caller side's cache is the one the RPCs invalidate.
    bind<EndpointService>(EndpointService)
      .toResolvedValue(
        (database: Database, clock: Clock, logger: Logger, metrics: NexusMetrics) =>
          new EndpointService(new EndpointStore(database.db), clock, logger.child({ component: 'nexus' }), metrics),
        [TOKENS.Database, TOKENS.Clock, TOKENS.Logger, NEXUS_METRICS],
      )
      .inSingletonScope();
    bind(NEXUS_ENDPOINTS).toService(EndpointService);
    bind<NamespacePurgeStep>(TOKENS.NamespacePurgeSteps)
      .toResolvedValue((database: Database) => endpointTargetGuard(new EndpointStore(database.db), config.allowDeleteNamespaceIfEndpointTarget), [TOKENS.Database])
      .inSingletonScope();
    bind(TOKENS.RpcHandlers)
      .toResolvedValue(
        (endpoints: EndpointService, namespaces: NamespaceResolver) => endpointRpcHandlers({ endpoints, namespaces, config }),
        [EndpointService, TOKENS.Namespaces],
      )
      .inSingletonScope();
    // One dispatcher behind the public token, the worker RPCs and the lifecycle: the pending
    // tasks callers wait on are the ones the workers' answers settle.
    bind<NexusTaskDispatcher>(NexusTaskDispatcher)
      .toResolvedValue(
        (matching: MatchingService, clock: Clock, logger: Logger, metrics: NexusMetrics, namespaces: NamespaceResolver) =>
          new NexusTaskDispatcher({ matching, clock, logger: logger.child({ component: 'nexus' }), metrics, namespaceGone: (id) => namespaceGone(namespaces, id) }),
        [MATCHING, TOKENS.Clock, TOKENS.Logger, NEXUS_METRICS, TOKENS.Namespaces],
      )
      .inSingletonScope();
    bind(NEXUS_DISPATCHER).toService(NexusTaskDispatcher);
    bind<ServiceLifecycle>(TOKENS.Service)
      .toResolvedValue((d: NexusTaskDispatcher) => d, [NexusTaskDispatcher])
      .inSingletonScope();
    // The caller side: Nexus operations in workflow runs, invoked through the dispatcher above,
    // completed by the callbacks of the runs handlers start.
    bind(EndpointCircuitBreakers)
      .toConstantValue(new EndpointCircuitBreakers({ consecutiveFailures: config.circuitBreakerFailures, openMs: config.circuitBreakerOpenMs }));
    // External targets and the Nexus HTTP API (ADR 0014): the signer of callback tokens (its key
    // in nexus_secrets), the HTTP client, the routes, and the deliverer of http(s) callbacks.
    bind(CallbackTokenSigner)
      .toResolvedValue((database: Database) => new CallbackTokenSigner(database.db), [TOKENS.Database])
      .inSingletonScope();
    bind(HttpNexusClient).toConstantValue(new HttpNexusClient());
    bind(TOKENS.Library)
      .toResolvedValue(
        (
          endpoints: EndpointService,
          dispatcher: NexusTaskDispatcher,
          breakers: EndpointCircuitBreakers,
          http: HttpNexusClient,
          signer: CallbackTokenSigner,
          address: HttpAddress,
          logger: Logger,
          metrics: NexusMetrics,
        ) =>
          createNexusLibrary({
            endpoints,
            dispatcher,
            breakers,
            config,
            http,
            signer,
            callbackBaseUrl: () => address.baseUrl,
            metrics,
            logger: logger.child({ component: 'nexus' }),
          }),
        [EndpointService, NexusTaskDispatcher, EndpointCircuitBreakers, HttpNexusClient, CallbackTokenSigner, TOKENS.HttpAddress, TOKENS.Logger, NEXUS_METRICS],
      )
      .inSingletonScope();
    bind<HttpRoute[]>(TOKENS.HttpRoutes)
      .toResolvedValue(
        (endpoints: EndpointService, dispatcher: NexusTaskDispatcher, namespaces: NamespaceResolver, signer: CallbackTokenSigner, engine: Engine, logger: Logger, metrics: NexusMetrics) => {
          const log = logger.child({ component: 'nexus' });
          return nexusHttpRoutes({
            endpoints,
            dispatcher,
            namespaces,
            signer,
            receivers: [standaloneCompletionReceiver(engine, log, metrics), operationCompletionReceiver(engine, log, metrics)],
            config,
            logger: log,
          });
        },
        [EndpointService, NexusTaskDispatcher, TOKENS.Namespaces, CallbackTokenSigner, TOKENS.Engine, TOKENS.Logger, NEXUS_METRICS],
      )
      .inSingletonScope();
    bind<CallbackDeliverer>(TOKENS.CallbackDeliverers).toConstantValue(httpCallbackDeliverer());
    // Standalone operations (issue 13): the same component as its own execution.
    bind(TOKENS.RpcHandlers)
      .toResolvedValue(
        (engine: Engine, namespaces: NamespaceResolver, endpoints: EndpointService, breakers: EndpointCircuitBreakers, logger: Logger, metrics: NexusMetrics) =>
          operationRpcHandlers({ engine, namespaces, endpoints, breakers, config, metrics, logger: logger.child({ component: 'nexus' }) }),
        [TOKENS.Engine, TOKENS.Namespaces, EndpointService, EndpointCircuitBreakers, TOKENS.Logger, NEXUS_METRICS],
      )
      .inSingletonScope();
    bind<CompletionReceiver>(TOKENS.CompletionReceivers)
      .toResolvedValue(
        (engine: Engine, logger: Logger, metrics: NexusMetrics) => standaloneCompletionReceiver(engine, logger.child({ component: 'nexus' }), metrics),
        [TOKENS.Engine, TOKENS.Logger, NEXUS_METRICS],
      )
      .inSingletonScope();
    bind<CompletionReceiver>(TOKENS.CompletionReceivers)
      .toResolvedValue(
        (engine: Engine, logger: Logger, metrics: NexusMetrics) => operationCompletionReceiver(engine, logger.child({ component: 'nexus' }), metrics),
        [TOKENS.Engine, TOKENS.Logger, NEXUS_METRICS],
      )
      .inSingletonScope();
    bind(TOKENS.RpcHandlers)
      .toResolvedValue(
        (dispatcher: NexusTaskDispatcher, matching: MatchingService, namespaces: NamespaceResolver, clock: Clock) =>
          nexusTaskRpcHandlers({ dispatcher, matching, namespaces, clock }),
        [NexusTaskDispatcher, MATCHING, TOKENS.Namespaces, TOKENS.Clock],
      )
      .inSingletonScope();
  });
