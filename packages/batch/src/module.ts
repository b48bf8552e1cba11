import { TOKENS, type Engine, type NamespaceResolver, type ServiceClient } from '@chasm/core';
import { ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createBatchLibrary } from './batch/batch-library.js';
import { DEFAULT_BATCH_CONFIG, type BatchConfig } from './config.js';
import { batchRpcHandlers } from './grpc/batch-handlers.js';
import { BatchMetrics } from './metrics.js';

const BATCH_METRICS = Symbol.for('chasm/BatchMetrics');

/**
 * Binds the `batch` library (its processing task wired to the in-process ServiceClient, through
 * which it lists and operates on workflows) and the four batch gRPC methods. The only file in the
 * package that touches inversify.
 */
export const batchModule = (config: BatchConfig = DEFAULT_BATCH_CONFIG): ContainerModule =>
  new ContainerModule(({ bind }) => {
    bind<BatchMetrics>(BATCH_METRICS)
      .toResolvedValue((registry: Registry) => new BatchMetrics(registry), [TOKENS.Metrics])
      .inSingletonScope();
    bind(TOKENS.Library)
      .toResolvedValue(
        (services: ServiceClient, logger: Logger, metrics: BatchMetrics) => createBatchLibrary({ services, config, metrics, logger: logger.child({ component: 'batch' }) }),
        [TOKENS.ServiceClient, TOKENS.Logger, BATCH_METRICS],
      )
      .inSingletonScope();
    bind(TOKENS.RpcHandlers)
      .toResolvedValue(
        (engine: Engine, namespaces: NamespaceResolver, services: ServiceClient, logger: Logger, metrics: BatchMetrics) =>
          batchRpcHandlers({ engine, namespaces, services, config, metrics, logger: logger.child({ component: 'batch' }) }),
        [TOKENS.Engine, TOKENS.Namespaces, TOKENS.ServiceClient, TOKENS.Logger, BATCH_METRICS],
      )
      .inSingletonScope();
  });
