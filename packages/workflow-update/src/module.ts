import { TOKENS, type Engine, type NamespaceResolver } from '@chasm/core';
import { SearchAttributeRegistry, WORKFLOW_DEPS, type WorkflowDeps } from '@chasm/workflow';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { DEFAULT_WORKFLOW_UPDATE_CONFIG, type WorkflowUpdateConfig } from './config.js';
import { MultiOperationHandler } from './grpc/multi-operation.js';
import { workflowUpdateRpcHandlers } from './grpc/update-handlers.js';
import { UpdateService } from './grpc/update-service.js';
import { createWorkflowUpdateLibrary } from './library.js';
import { WorkflowUpdateMetrics } from './metrics.js';

/** DI token of this package's validated settings (`settings.workflow-update` in the server config). */
export const WORKFLOW_UPDATE_CONFIG = Symbol.for('chasm/WorkflowUpdateConfig');
const WORKFLOW_UPDATE_METRICS = Symbol.for('chasm/WorkflowUpdateMetrics');

/**
 * Binds the workflowUpdate library and UpdateWorkflowExecution, PollWorkflowExecutionUpdate and
 * ExecuteMultiOperation. Needs the workflow package (its deps and search-attribute registry).
 */
export const workflowUpdateModule = (config: WorkflowUpdateConfig = DEFAULT_WORKFLOW_UPDATE_CONFIG): ContainerModule =>
  new ContainerModule((options) => {
  options.bind<WorkflowUpdateConfig>(WORKFLOW_UPDATE_CONFIG).toConstantValue(config);
  options
    .bind<WorkflowUpdateMetrics>(WORKFLOW_UPDATE_METRICS)
    .toResolvedValue((registry: Registry) => new WorkflowUpdateMetrics(registry), [TOKENS.Metrics])
    .inSingletonScope();
  options
    .bind(TOKENS.Library)
    .toResolvedValue((config: WorkflowUpdateConfig) => createWorkflowUpdateLibrary(config), [WORKFLOW_UPDATE_CONFIG])
    .inSingletonScope();
  options
    .bind(TOKENS.RpcHandlers)
    .toResolvedValue(
      (
        engine: Engine,
        namespaces: NamespaceResolver,
        config: WorkflowUpdateConfig,
        logger: Logger,
        metrics: WorkflowUpdateMetrics,
        workflow: WorkflowDeps,
        searchAttributes: SearchAttributeRegistry,
      ) => {
        const updates = new UpdateService({ engine, config, logger: logger.child({ component: 'workflow-update' }), metrics });
        const multiOp = new MultiOperationHandler({ engine, namespaces, workflow, searchAttributes, config }, updates);
        return workflowUpdateRpcHandlers(namespaces, updates, multiOp, workflow.config);
      },
      [TOKENS.Engine, TOKENS.Namespaces, WORKFLOW_UPDATE_CONFIG, TOKENS.Logger, WORKFLOW_UPDATE_METRICS, WORKFLOW_DEPS, SearchAttributeRegistry],
    );
  });
