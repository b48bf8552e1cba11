import { TOKENS, type Clock, type Database, type NamespacePurgeStep, type NamespaceResolver, type ServiceLifecycle } from '@chasm/core';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ACTIVITY_TASK_HANDLERS, type ActivityTaskHandler } from './activity-tasks/activity-task-handler.js';
import { activityTaskRouterHandlers } from './activity-tasks/activity-task-router.js';
import { matchingMigrations } from './backlog/migrations.js';
import { matchingRpcHandlers } from './grpc/matching-handlers.js';
import { LocalMatchingService } from './local-matching-service.js';
import { DEFAULT_MATCHING_OPTIONS, type MatchingOptions } from './matching-options.js';
import { MATCHING, type MatchingService } from './matching-service.js';

/**
 * Binds the matching service, its migrations, its gRPC methods, the activity-task router (built
 * from every bound `ActivityTaskHandler`) and its lifecycle.
 */
export const matchingModule = (config: MatchingOptions = DEFAULT_MATCHING_OPTIONS): ContainerModule =>
  new ContainerModule((options) => {
  options
    .bind<LocalMatchingService>(LocalMatchingService)
    .toResolvedValue(
      (database: Database, clock: Clock, logger: Logger, metrics: Registry) =>
        new LocalMatchingService(database, clock, logger.child({ component: 'matching' }), metrics, config),
      [TOKENS.Database, TOKENS.Clock, TOKENS.Logger, TOKENS.Metrics],
    )
    .inSingletonScope();
  options.bind<MatchingService>(MATCHING).toService(LocalMatchingService);
  options.bind(TOKENS.Migrations).toConstantValue(matchingMigrations);
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (matching: MatchingService, namespaces: NamespaceResolver, clock: Clock) =>
        matchingRpcHandlers(matching, namespaces, clock),
      [MATCHING, TOKENS.Namespaces, TOKENS.Clock],
    )
    .inSingletonScope();
  // Features bind their ActivityTaskHandler in their own modules, loaded in any order: the router
  // is built when the server first asks for the handler sets, after every module is loaded.
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (handlers: ActivityTaskHandler[] | undefined, matching: MatchingService, namespaces: NamespaceResolver, metrics: Registry) =>
        activityTaskRouterHandlers(handlers ?? [], matching, namespaces, metrics),
      [{ serviceIdentifier: ACTIVITY_TASK_HANDLERS, isMultiple: true, optional: true }, MATCHING, TOKENS.Namespaces, TOKENS.Metrics],
    )
    .inSingletonScope();
  // A deleted namespace's queues and backlog go after its executions (ADR 0036).
  options
    .bind<NamespacePurgeStep>(TOKENS.NamespacePurgeSteps)
    .toResolvedValue(
      (svc: LocalMatchingService): NamespacePurgeStep => ({
        name: 'matching',
        purge: (namespaceId, limit) => svc.purgeNamespace(namespaceId, limit),
      }),
      [LocalMatchingService],
    )
    .inSingletonScope();
  options
    .bind<ServiceLifecycle>(TOKENS.Service)
    .toResolvedValue((svc: LocalMatchingService) => svc, [LocalMatchingService])
    .inSingletonScope();
  });
