import { TOKENS, type Engine, type NamespaceResolver } from '@chasm/core';
import { MATCHING, type MatchingService } from '@chasm/matching';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_STANDALONE_ACTIVITY_CONFIG, type StandaloneActivityConfig } from './config.js';
import { activityRpcHandlers } from './grpc/activity-service.js';
import { ACTIVITY_TASK_HANDLERS, ACTIVITY_TASK_ROUTER_OWNER, type ActivityTaskHandler } from './grpc/activity-task-router.js';
import { createStandaloneActivityLibrary } from './library.js';
import { ActivityMetrics } from './metrics.js';

/** DI token of this package's validated settings (`settings.standalone-activity` in the server config). */
export const STANDALONE_ACTIVITY_CONFIG = Symbol.for('chasm/StandaloneActivityConfig');
const ACTIVITY_METRICS = Symbol.for('chasm/StandaloneActivityMetrics');

/** Binds the `activity` CHASM library and the standalone activity gRPC methods. Needs matching. */
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
  // This package serves the activity-task RPCs for every feature (ADR 0006): other features bind
  // an ActivityTaskHandler for their archetype, and step back from serving the RPCs themselves.
  options.bind(ACTIVITY_TASK_ROUTER_OWNER).toConstantValue('standalone-activity');
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (
        engine: Engine,
        matching: MatchingService,
        namespaces: NamespaceResolver,
        config: StandaloneActivityConfig,
        logger: Logger,
        metrics: ActivityMetrics,
        foreignHandlers: ActivityTaskHandler[] | undefined,
      ) =>
        activityRpcHandlers({
          engine,
          matching,
          namespaces,
          config,
          logger: logger.child({ component: 'standalone-activity' }),
          metrics,
          foreignHandlers: foreignHandlers ?? [],
        }),
      [
        TOKENS.Engine,
        MATCHING,
        TOKENS.Namespaces,
        STANDALONE_ACTIVITY_CONFIG,
        TOKENS.Logger,
        ACTIVITY_METRICS,
        { serviceIdentifier: ACTIVITY_TASK_HANDLERS, isMultiple: true, optional: true },
      ],
    )
    .inSingletonScope();
  });
