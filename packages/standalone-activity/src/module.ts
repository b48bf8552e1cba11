import { TOKENS, type Engine, type NamespaceResolver } from '@chasm/core';
import { ACTIVITY_TASK_HANDLERS, MATCHING, type ActivityTaskHandler, type MatchingService } from '@chasm/matching';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_STANDALONE_ACTIVITY_CONFIG, type StandaloneActivityConfig } from './config.js';
import { activityRpcHandlers } from './grpc/activity-service.js';
import { standaloneActivityTaskHandler } from './grpc/activity-task-handler.js';
import { createStandaloneActivityLibrary } from './library.js';
import { ActivityMetrics } from './metrics.js';

/** DI token of this package's validated settings (`settings.standalone-activity` in the server config). */
export const STANDALONE_ACTIVITY_CONFIG = Symbol.for('chasm/StandaloneActivityConfig');
const ACTIVITY_METRICS = Symbol.for('chasm/StandaloneActivityMetrics');

/**
 * Binds the `activity` CHASM library, the standalone activity gRPC methods and the activity-task
 * handler of archetype `activity.activity` (matching's router serves the worker side). Needs matching.
 */
export const standaloneActivityModule = (config: StandaloneActivityConfig = DEFAULT_STANDALONE_ACTIVITY_CONFIG): ContainerModule =>
  new ContainerModule((options) => {
  options.bind<StandaloneActivityConfig>(STANDALONE_ACTIVITY_CONFIG).toConstantValue(config);
  options
    .bind<ActivityMetrics>(ACTIVITY_METRICS)
    .toResolvedValue((registry: Registry) => new ActivityMetrics(registry), [TOKENS.Metrics])
    .inSingletonScope();
  options
    .bind(TOKENS.Library)
    .toResolvedValue(
      (matching: MatchingService, logger: Logger, metrics: ActivityMetrics) =>
        createStandaloneActivityLibrary({ matching, logger: logger.child({ component: 'standalone-activity' }), metrics }),
      [MATCHING, TOKENS.Logger, ACTIVITY_METRICS],
    )
    .inSingletonScope();
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (engine: Engine, matching: MatchingService, namespaces: NamespaceResolver, config: StandaloneActivityConfig, logger: Logger, metrics: ActivityMetrics) =>
        activityRpcHandlers({ engine, matching, namespaces, config, logger: logger.child({ component: 'standalone-activity' }), metrics }),
      [TOKENS.Engine, MATCHING, TOKENS.Namespaces, STANDALONE_ACTIVITY_CONFIG, TOKENS.Logger, ACTIVITY_METRICS],
    )
    .inSingletonScope();
  options
    .bind<ActivityTaskHandler>(ACTIVITY_TASK_HANDLERS)
    .toResolvedValue(
      (engine: Engine, config: StandaloneActivityConfig, metrics: ActivityMetrics) => standaloneActivityTaskHandler({ engine, config, metrics }),
      [TOKENS.Engine, STANDALONE_ACTIVITY_CONFIG, ACTIVITY_METRICS],
    )
    .inSingletonScope();
  });
