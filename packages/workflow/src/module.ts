import { completionDelivery, TOKENS, type CallbackDeliverer, type ChasmEngine, type Clock, type CompletionReceiver, type NamespaceResolver } from '@chasm/core';
import { ACTIVITY_TASK_HANDLERS, MATCHING, type ActivityTaskHandler, type MatchingService } from '@chasm/matching';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { workflowActivityTaskHandler } from './activity/activity-task-handler.js';
import { DEFAULT_WORKFLOW_CONFIG, type WorkflowConfig } from './config.js';
import { SearchAttributeRegistry, searchAttributeRpcHandlers } from './grpc/search-attribute-registry.js';
import { legacyVisibilityRpcHandlers } from './grpc/legacy-visibility-handlers.js';
import { workflowRpcHandlers } from './grpc/workflow-handlers.js';
import { createWorkflowLibrary } from './library.js';
import { WorkflowMetrics } from './metrics.js';
import type { WorkflowDeps } from './workflow/deps.js';
import { QueryRegistry } from './workflow/queries.js';

/** DI token of the workflow package's dependencies bundle. */
export const WORKFLOW_DEPS = Symbol.for('chasm/workflow/Deps');
export const WORKFLOW_CONFIG = Symbol.for('chasm/workflow/Config');

/** Binds the workflow library, its gRPC methods and its activity-task handler (for matching's router). */
export const workflowModule = (config: WorkflowConfig = DEFAULT_WORKFLOW_CONFIG): ContainerModule =>
  new ContainerModule((options) => {
  options.bind<WorkflowConfig>(WORKFLOW_CONFIG).toConstantValue(config);
  options
    .bind<WorkflowDeps>(WORKFLOW_DEPS)
    .toResolvedValue(
      (
        engine: ChasmEngine,
        matching: MatchingService,
        namespaces: NamespaceResolver,
        clock: Clock,
        logger: Logger,
        metrics: Registry,
        config: WorkflowConfig,
        receivers: CompletionReceiver[] | undefined,
        deliverers: CallbackDeliverer[] | undefined,
      ) => ({
        engine,
        matching,
        namespaces,
        clock,
        logger: logger.child({ component: 'workflow' }),
        config,
        metrics: new WorkflowMetrics(metrics),
        // Completion callbacks go to whatever the loaded packages bind (the scheduler's receiver,
        // Nexus's http deliverer); none bound: starts with such callbacks are refused at the door.
        delivery: completionDelivery(receivers ?? [], deliverers ?? []),
      }),
      [
        TOKENS.Engine,
        MATCHING,
        TOKENS.Namespaces,
        TOKENS.Clock,
        TOKENS.Logger,
        TOKENS.Metrics,
        WORKFLOW_CONFIG,
        { serviceIdentifier: TOKENS.CompletionReceivers, isMultiple: true, optional: true },
        { serviceIdentifier: TOKENS.CallbackDeliverers, isMultiple: true, optional: true },
      ],
    )
    .inSingletonScope();
  options.bind(QueryRegistry).toResolvedValue(() => new QueryRegistry()).inSingletonScope();
  options
    .bind(SearchAttributeRegistry)
    .toResolvedValue((deps: WorkflowDeps) => new SearchAttributeRegistry(deps.engine), [WORKFLOW_DEPS])
    .inSingletonScope();
  options.bind(TOKENS.Library).toResolvedValue((deps: WorkflowDeps) => createWorkflowLibrary(deps), [WORKFLOW_DEPS]);
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (deps: WorkflowDeps, queries: QueryRegistry, sa: SearchAttributeRegistry) => workflowRpcHandlers(deps, queries, sa),
      [WORKFLOW_DEPS, QueryRegistry, SearchAttributeRegistry],
    );
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue((sa: SearchAttributeRegistry, deps: WorkflowDeps) => searchAttributeRpcHandlers(sa, deps.namespaces), [SearchAttributeRegistry, WORKFLOW_DEPS]);
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue((deps: WorkflowDeps, sa: SearchAttributeRegistry) => legacyVisibilityRpcHandlers(deps, sa), [WORKFLOW_DEPS, SearchAttributeRegistry]);
  // Workflow activity tasks, served by matching's activity-task router.
  options
    .bind<ActivityTaskHandler>(ACTIVITY_TASK_HANDLERS)
    .toResolvedValue((deps: WorkflowDeps) => workflowActivityTaskHandler(deps.engine, deps.metrics, deps.config, deps.matching), [WORKFLOW_DEPS])
    .inSingletonScope();
  });
