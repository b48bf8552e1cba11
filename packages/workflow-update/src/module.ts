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

/** DI token of this package's effective configuration. */
export const WORKFLOW_UPDATE_CONFIG = Symbol.for('chasm/WorkflowUpdateConfig');
/**
 * Bind a `Partial<WorkflowUpdateConfig>` here (e.g. from an extra module) to change limits
 * without fighting the default binding: inversify has no "last binding wins".
 */
export const WORKFLOW_UPDATE_CONFIG_OVERRIDES = Symbol.for('chasm/WorkflowUpdateConfigOverrides');
const WORKFLOW_UPDATE_METRICS = Symbol.for('chasm/WorkflowUpdateMetrics');

/**
 * Binds the workflowUpdate library and UpdateWorkflowExecution, PollWorkflowExecutionUpdate and
 * ExecuteMultiOperation. Needs the workflow package (its deps and search-attribute registry).
 */
export const workflowUpdateModule = new ContainerModule((options) => {
  options
    .bind<WorkflowUpdateConfig>(WORKFLOW_UPDATE_CONFIG)
    .toResolvedValue(
      (overrides: Partial<WorkflowUpdateConfig> | undefined) => ({ ...DEFAULT_WORKFLOW_UPDATE_CONFIG, ...overrides }),
      [{ serviceIdentifier: WORKFLOW_UPDATE_CONFIG_OVERRIDES, optional: true }],
    )
    .inSingletonScope();
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
        return workflowUpdateRpcHandlers(namespaces, updates, multiOp);
      },
      [TOKENS.Engine, TOKENS.Namespaces, WORKFLOW_UPDATE_CONFIG, TOKENS.Logger, WORKFLOW_UPDATE_METRICS, WORKFLOW_DEPS, SearchAttributeRegistry],
    );
});
