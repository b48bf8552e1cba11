import { TOKENS, WORKFLOW_SERVICE, type ChasmEngine, type Clock, type NamespaceResolver } from '@chasm/core';
import { MATCHING, type MatchingService } from '@chasm/matching';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { workflowActivityTaskHandler } from './activity/activity-task-handler.js';
import { DEFAULT_WORKFLOW_CONFIG, type WorkflowConfig } from './config.js';
import {
  ACTIVITY_TASK_HANDLERS,
  ACTIVITY_TASK_ROUTER_OWNER,
  activityTaskRouterHandlers,
  type ActivityTaskHandler,
} from './grpc/activity-task-router.js';
import { SearchAttributeRegistry, searchAttributeRpcHandlers } from './grpc/search-attribute-registry.js';
import { workflowRpcHandlers } from './grpc/workflow-handlers.js';
import { createWorkflowLibrary } from './library.js';
import { WorkflowMetrics } from './metrics.js';
import type { WorkflowDeps } from './workflow/deps.js';
import { QueryRegistry } from './workflow/queries.js';

/** DI token of the workflow package's dependencies bundle. */
export const WORKFLOW_DEPS = Symbol.for('chasm/workflow/Deps');
export const WORKFLOW_CONFIG = Symbol.for('chasm/workflow/Config');

/** Binds the workflow library, its gRPC methods and its activity-task handler. */
export const workflowModule = (config: WorkflowConfig = DEFAULT_WORKFLOW_CONFIG): ContainerModule =>
  new ContainerModule((options) => {
  options.bind<WorkflowConfig>(WORKFLOW_CONFIG).toConstantValue(config);
  options
    .bind<WorkflowDeps>(WORKFLOW_DEPS)
    .toResolvedValue(
      (engine: ChasmEngine, matching: MatchingService, namespaces: NamespaceResolver, clock: Clock, logger: Logger, metrics: Registry, config: WorkflowConfig) => ({
        engine,
        matching,
        namespaces,
        clock,
        logger: logger.child({ component: 'workflow' }),
        config,
        metrics: new WorkflowMetrics(metrics),
      }),
      [TOKENS.Engine, MATCHING, TOKENS.Namespaces, TOKENS.Clock, TOKENS.Logger, TOKENS.Metrics, WORKFLOW_CONFIG],
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
    .bind<ActivityTaskHandler>(ACTIVITY_TASK_HANDLERS)
    .toResolvedValue((deps: WorkflowDeps) => workflowActivityTaskHandler(deps.engine, deps.metrics), [WORKFLOW_DEPS])
    .inSingletonScope();
  // The activity-task RPCs: served here unless another package (standalone-activity) declared
  // itself their router owner; it then routes workflow activity tasks to our handler by archetype.
  options.bind(ACTIVITY_TASK_ROUTER_OWNER).toConstantValue('workflow');
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (owners: string[], handlers: ActivityTaskHandler[], deps: WorkflowDeps, standaloneActivity: object | undefined) => {
        // standalone-activity currently serves these RPCs itself, without routing: two packages
        // may not provide one method, so we step back (its poller then cannot start workflow
        // activity tasks; see ADR 0005 for the routing contract it is expected to adopt).
        const others = owners.filter((o) => o !== 'workflow');
        if (others.length > 0 || standaloneActivity !== undefined) return { service: WORKFLOW_SERVICE, methods: {} };
        return activityTaskRouterHandlers(handlers, deps.matching, deps.namespaces);
      },
      [
        { serviceIdentifier: ACTIVITY_TASK_ROUTER_OWNER, isMultiple: true },
        { serviceIdentifier: ACTIVITY_TASK_HANDLERS, isMultiple: true },
        WORKFLOW_DEPS,
        { serviceIdentifier: Symbol.for('chasm/StandaloneActivityConfig'), optional: true },
      ],
    );
  });
