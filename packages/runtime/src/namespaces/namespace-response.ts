import type { ServerFeatures } from '../system/server-features.js';
import type { NamespaceRecord } from './namespace-record.js';
import { CLUSTER_NAME } from './namespace-validation.js';

/**
 * A DescribeNamespaceResponse (plain object) with everything the SDK worker reads at start-up
 * (workflow-semantics 1.2): info with state and id, capabilities, zero limits (no limit), the
 * retention config, and a single-cluster, non-global replication config.
 */
export function describeNamespaceResponse(record: NamespaceRecord, features: ServerFeatures): Record<string, unknown> {
  return {
    namespaceInfo: {
      name: record.name,
      state: record.state,
      description: record.description,
      ownerEmail: record.ownerEmail,
      data: { ...record.data },
      id: record.id,
      capabilities: namespaceCapabilities(features),
      // Zero means "no limit" to core; real limits come with the limits work.
      limits: { blobSizeLimitError: 0, memoSizeLimitError: 0, workflowTaskCompletionSizeLimitError: 0 },
      supportsSchedules: features.has('CreateSchedule'),
    },
    config: {
      workflowExecutionRetentionTtl: { seconds: record.retentionSeconds, nanos: 0 },
      badBinaries: { binaries: {} },
      historyArchivalState: record.historyArchivalState,
      historyArchivalUri: record.historyArchivalUri,
      visibilityArchivalState: record.visibilityArchivalState,
      visibilityArchivalUri: record.visibilityArchivalUri,
      customSearchAttributeAliases: {},
    },
    replicationConfig: {
      activeClusterName: CLUSTER_NAME,
      clusters: [{ clusterName: CLUSTER_NAME }],
      state: 'REPLICATION_STATE_NORMAL',
    },
    failoverVersion: 0,
    isGlobalNamespace: false,
    failoverHistory: [],
  };
}

/**
 * Namespace capabilities change which code paths SDK core takes, so each is true only when the
 * behaviour behind it exists. Flags that promise worker-protocol behaviour (poll completion on
 * shutdown, autoscaling, worker commands, completion pagination) stay false until the matching
 * work implements them deliberately.
 */
export function namespaceCapabilities(features: ServerFeatures): Record<string, boolean> {
  return {
    eagerWorkflowStart: features.has('StartWorkflowExecution'),
    syncUpdate: features.has('UpdateWorkflowExecution'),
    asyncUpdate: features.has('UpdateWorkflowExecution') && features.has('PollWorkflowExecutionUpdate'),
    workerHeartbeats: features.has('RecordWorkerHeartbeat'),
    reportedProblemsSearchAttribute: false,
    workflowPause: features.has('PauseWorkflowExecution'),
    standaloneActivities: features.has('StartActivityExecution'),
    workerPollCompleteOnShutdown: false,
    pollerAutoscaling: false,
    workerCommands: false,
    standaloneNexusOperation: features.has('StartNexusOperationExecution'),
    workflowUpdateCallbacks: false,
    pollerAutoscalingAutoEnroll: false,
    workflowTaskCompletionPagination: false,
    standaloneActivityStartDelay: false,
    standaloneActivityBatchOperations: false,
    // Served by standalone-activity (its enableOperatorCommands setting is on by default).
    standaloneActivityOperatorCommands: features.has('PauseActivityExecution'),
  };
}
