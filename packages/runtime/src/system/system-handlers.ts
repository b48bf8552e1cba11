import { WORKFLOW_SERVICE, type RpcHandlerSet } from '@chasm/core';
import type { ClusterMetadata } from './cluster-metadata.js';
import type { ServerFeatures } from './server-features.js';

/** The Temporal server release whose API and behaviour this server follows. */
export const SERVER_VERSION = '1.29.0';

/** Client versions Temporal's frontend accepts (sent back in GetClusterInfo). */
const SUPPORTED_CLIENTS: Readonly<Record<string, string>> = {
  'temporal-cli': '<2.0.0',
  'temporal-go': '<2.0.0',
  'temporal-java': '<2.0.0',
  'temporal-php': '<2.0.0',
  'temporal-typescript': '<2.0.0',
  'temporal-server': '<2.0.0',
  'temporal-ui': '<3.0.0',
};

export interface SystemInfoDeps {
  readonly features: ServerFeatures;
  /** Read at request time: the cluster row is created after the container is built. */
  readonly cluster: () => ClusterMetadata;
  /** 'postgres' or 'pglite'. */
  readonly persistenceStore: string;
}

/**
 * GetSystemInfo and GetClusterInfo. Capabilities are honest: each one changes SDK behaviour
 * (workflow-semantics 1.2), so a flag is true only if the server does what it promises.
 */
export function systemHandlers(deps: SystemInfoDeps): RpcHandlerSet {
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async GetSystemInfo() {
        return {
          serverVersion: SERVER_VERSION,
          capabilities: {
            // The workflow package persists sdk_metadata into WorkflowTaskCompleted events.
            sdkMetadata: true,
            signalAndQueryHeader: true,
            internalErrorDifferentiation: true,
            activityFailureIncludeHeartbeat: true,
            supportsSchedules: deps.features.has('CreateSchedule'),
            encodedFailureAttributes: true,
            buildIdBasedVersioning: false,
            upsertMemo: true,
            // The workflow package's StartWorkflowExecution answers request_eager_execution with the first task.
            eagerWorkflowStart: deps.features.has('StartWorkflowExecution'),
            // The workflow package's CountWorkflowExecutions answers GROUP BY ExecutionStatus.
            countGroupByExecutionStatus: deps.features.has('CountWorkflowExecutions'),
            // The nexus package: endpoints, Nexus tasks and operations called from workflows.
            nexus: deps.features.has('RespondNexusTaskCompleted'),
            serverScaledDeployments: false,
            serverScaledProviderCloudRun: false,
          },
        };
      },

      async GetClusterInfo() {
        const cluster = deps.cluster();
        return {
          supportedClients: { ...SUPPORTED_CLIENTS },
          serverVersion: SERVER_VERSION,
          clusterId: cluster.clusterId,
          clusterName: cluster.clusterName,
          historyShardCount: cluster.historyShardCount,
          persistenceStore: deps.persistenceStore,
          // Visibility records live in the same database.
          visibilityStore: deps.persistenceStore,
          initialFailoverVersion: 1,
          failoverVersionIncrement: 10,
        };
      },
    },
  };
}
