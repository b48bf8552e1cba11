import { TOKENS, type CompletionReceiver, type Engine, type NamespaceResolver, type ServiceClient } from '@chasm/core';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { schedulerCompletionReceiver } from './completion-receiver.js';
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from './config.js';
import { scheduleRpcHandlers } from './grpc/schedule-handlers.js';
import { createSchedulerLibrary } from './library.js';
import { SchedulerMetrics } from './metrics.js';

/** DI token of this package's validated settings (`settings.scheduler` in the server config). */
export const SCHEDULER_CONFIG = Symbol.for('chasm/SchedulerConfig');
const SCHEDULER_METRICS = Symbol.for('chasm/SchedulerMetrics');

/**
 * Binds the `scheduler` CHASM library, the schedule gRPC methods and the receiver of the
 * completion callbacks of the workflows schedules start. Starts workflows through the
 * in-process ServiceClient, so it needs a package serving WorkflowService (workflow).
 */
export const schedulerModule = (config: SchedulerConfig = DEFAULT_SCHEDULER_CONFIG): ContainerModule =>
  new ContainerModule((options) => {
    options.bind<SchedulerConfig>(SCHEDULER_CONFIG).toConstantValue(config);
    options
      .bind<SchedulerMetrics>(SCHEDULER_METRICS)
      .toResolvedValue((registry: Registry) => new SchedulerMetrics(registry), [TOKENS.Metrics])
      .inSingletonScope();
    options
      .bind(TOKENS.Library)
      .toResolvedValue(
        (services: ServiceClient, logger: Logger, metrics: SchedulerMetrics) => createSchedulerLibrary({ services, logger: logger.child({ component: 'scheduler' }), metrics }),
        [TOKENS.ServiceClient, TOKENS.Logger, SCHEDULER_METRICS],
      )
      .inSingletonScope();
    options
      .bind(TOKENS.RpcHandlers)
      .toResolvedValue(
        (engine: Engine, namespaces: NamespaceResolver, services: ServiceClient, logger: Logger, metrics: SchedulerMetrics) =>
          scheduleRpcHandlers({ engine, namespaces, services, config, logger: logger.child({ component: 'scheduler' }), metrics }),
        [TOKENS.Engine, TOKENS.Namespaces, TOKENS.ServiceClient, TOKENS.Logger, SCHEDULER_METRICS],
      )
      .inSingletonScope();
    options
      .bind<CompletionReceiver>(TOKENS.CompletionReceivers)
      .toResolvedValue(
        (engine: Engine, logger: Logger, metrics: SchedulerMetrics) => schedulerCompletionReceiver(engine, logger.child({ component: 'scheduler' }), metrics),
        [TOKENS.Engine, TOKENS.Logger, SCHEDULER_METRICS],
      )
      .inSingletonScope();
  });
