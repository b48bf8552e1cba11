import type { TracingHolder } from '../telemetry/tracing.js';
import { ContainerModule } from 'inversify';
import { ChasmEngine, KyselyExecutionStore, PGliteVacuum, Registry, systemClock, TOKENS, type Clock, type Database, type NamespacePurgeStep } from '@chasm/core';
import type { Registry as MetricsRegistry } from 'prom-client';
import { EngineService } from './engine-service.js';
import { registerDatabaseMetrics, registerStoreMetrics } from '../metrics/store-metrics.js';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { DEFAULT_RPC_LIMITS } from '../limits/rpc-limits.js';
import { namespaceHandlers, namespaceOperatorHandlers } from '../namespaces/namespace-handlers.js';
import { SERVER_MIGRATIONS } from '../namespaces/namespace-migrations.js';
import { NamespacePurger } from '../namespaces/namespace-purger.js';
import { NamespaceSeeder } from '../namespaces/namespace-seeder.js';
import { NamespaceStore } from '../namespaces/namespace-store.js';
import { Namespaces } from '../namespaces/namespaces.js';
import { ServerTokens } from '../server-tokens.js';
import { ClusterIdentity } from '../system/cluster-identity.js';
import type { ServerFeatures } from '../system/server-features.js';
import { systemHandlers } from '../system/system-handlers.js';

/**
 * The server's own package ('core'): clock, CHASM registry, namespaces, cluster identity and
 * the system RPCs. Expects TOKENS.Database, TOKENS.Logger, TOKENS.Metrics, ServerTokens.Config
 * and ServerTokens.Features bound by the container before modules load.
 */
export const coreModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Clock).toConstantValue(systemClock);
  // Libraries are registered by the server once every module has loaded (server.ts), so a
  // duplicate component or task name fails start-up before anything runs.
  bind(TOKENS.Registry).toResolvedValue(() => new Registry());

  // The CHASM engine over the Kysely store. Construction is synchronous; EngineService
  // initialises the store and takes the shards when services start.
  bind(TOKENS.ExecutionStore).toResolvedValue(
    (db: Database, config: ServerConfig, metrics: MetricsRegistry) => {
      const store = KyselyExecutionStore.create(db, { shardCount: config.shards });
      registerStoreMetrics(store, metrics);
      registerDatabaseMetrics(db.stats, metrics);
      return store;
    },
    [TOKENS.Database, ServerTokens.Config, TOKENS.Metrics],
  );
  // Closed executions are deleted once their namespace's retention has passed (ADR 0026).
  bind(TOKENS.Engine).toResolvedValue(
    (store: KyselyExecutionStore, registry: Registry, clock: Clock, logger: Logger, metrics: MetricsRegistry, namespaces: Namespaces, tracing: TracingHolder, config: ServerConfig) =>
      new ChasmEngine({
        store,
        registry,
        clock,
        logger: logger.child({ component: 'engine' }),
        metrics,
        retention: namespaces,
        ...(tracing.tracing ? { tracer: tracing.tracing.commits } : {}),
        maxWaitingPerExecution: (config.limits ?? DEFAULT_RPC_LIMITS).maxWaitingPerExecution,
        ...(config.executionCache?.maxExecutions !== undefined ? { cacheSize: config.executionCache.maxExecutions } : {}),
        ...(config.executionCache?.idleMs !== undefined ? { cacheIdleMs: config.executionCache.idleMs } : {}),
      }),
    [TOKENS.ExecutionStore, TOKENS.Registry, TOKENS.Clock, TOKENS.Logger, TOKENS.Metrics, ServerTokens.Namespaces, ServerTokens.Tracing, ServerTokens.Config],
  );

  bind(TOKENS.Migrations).toConstantValue(SERVER_MIGRATIONS);
  bind(NamespaceStore).toResolvedValue((db: Database) => new NamespaceStore(db), [TOKENS.Database]);
  bind(ServerTokens.Namespaces).toResolvedValue(
    (store: NamespaceStore, clock: Clock) => new Namespaces(store, clock),
    [NamespaceStore, TOKENS.Clock],
  );
  bind(TOKENS.Namespaces).toService(ServerTokens.Namespaces);
  bind(ServerTokens.ClusterIdentity).toResolvedValue(
    (db: Database, config: ServerConfig, clock: Clock) => new ClusterIdentity(db, config.shards, clock),
    [TOKENS.Database, ServerTokens.Config, TOKENS.Clock],
  );

  // Started in binding order: identity first, then seeding; stopped in reverse.
  bind(TOKENS.Service).toService(ServerTokens.ClusterIdentity);
  bind(TOKENS.Service).toResolvedValue(
    (namespaces: Namespaces, config: ServerConfig, logger: Logger) => new NamespaceSeeder(namespaces, config.namespaces, logger),
    [ServerTokens.Namespaces, ServerTokens.Config, TOKENS.Logger],
  );
  bind(TOKENS.Service).toResolvedValue(
    (engine: ChasmEngine, store: KyselyExecutionStore, db: Database) => new EngineService(engine, store, db),
    [TOKENS.Engine, TOKENS.ExecutionStore, TOKENS.Database],
  );
  // After the engine: it deletes through the engine's shard leases. Packages add their own
  // steps (matching's backlogs, Nexus's endpoint check) under TOKENS.NamespacePurgeSteps (ADR 0036).
  bind(NamespacePurger).toResolvedValue(
    (store: NamespaceStore, engine: ChasmEngine, executions: KyselyExecutionStore, steps: NamespacePurgeStep[] | undefined, clock: Clock, logger: Logger, metrics: MetricsRegistry, config: ServerConfig) =>
      new NamespacePurger(store, engine, executions, steps ?? [], clock, logger.child({ component: 'namespace-purger' }), metrics, {
        ...(config.namespaceDeletion?.settleMs !== undefined ? { settleMs: config.namespaceDeletion.settleMs } : {}),
      }),
    [
      NamespaceStore,
      TOKENS.Engine,
      TOKENS.ExecutionStore,
      { serviceIdentifier: TOKENS.NamespacePurgeSteps, isMultiple: true, optional: true },
      TOKENS.Clock,
      TOKENS.Logger,
      TOKENS.Metrics,
      ServerTokens.Config,
    ],
  );
  bind(TOKENS.Service).toService(NamespacePurger);
  // Embedded PGlite has no autovacuum: without this, space of deleted rows is never reused.
  bind(TOKENS.Service).toResolvedValue(
    (db: Database, logger: Logger, metrics: MetricsRegistry) => new PGliteVacuum(db, { logger: logger.child({ component: 'pglite-vacuum' }), metrics }),
    [TOKENS.Database, TOKENS.Logger, TOKENS.Metrics],
  );

  bind(ServerTokens.CoreRpcHandlers).toResolvedValue(
    (namespaces: Namespaces, features: ServerFeatures) => namespaceHandlers(namespaces, features),
    [ServerTokens.Namespaces, ServerTokens.Features],
  );
  bind(ServerTokens.CoreRpcHandlers).toResolvedValue(
    (namespaces: Namespaces, purger: NamespacePurger, steps: NamespacePurgeStep[] | undefined, config: ServerConfig) =>
      namespaceOperatorHandlers(namespaces, { defaultDelayMs: config.namespaceDeletion?.delayMs ?? 0, steps: steps ?? [], deleted: () => purger.kick() }),
    [ServerTokens.Namespaces, NamespacePurger, { serviceIdentifier: TOKENS.NamespacePurgeSteps, isMultiple: true, optional: true }, ServerTokens.Config],
  );
  bind(ServerTokens.CoreRpcHandlers).toResolvedValue(
    (features: ServerFeatures, identity: ClusterIdentity, db: Database) =>
      systemHandlers({ features, cluster: () => identity.current, persistenceStore: db.config.kind }),
    [ServerTokens.Features, ServerTokens.ClusterIdentity, TOKENS.Database],
  );
});
