/**
 * What each RPC needs, after Temporal's API metadata (`common/api/metadata.go`): a scope
 * (one namespace, or the cluster) and an access level. Unknown methods default to `write` in
 * their namespace, so a method added to the protos is never open to readers by accident.
 * A method whose request has no namespace (ListNamespaces) is cluster-scoped: only the
 * caller's system role counts for it.
 */
export const Access = {
  /** Health and GetSystemInfo: the SDK calls it before anything else, with or without a token. */
  Always: 'always',
  Read: 'read',
  /** Poll*, Respond*, heartbeats: what a worker does. */
  Worker: 'worker',
  Write: 'write',
  /** Namespace administration a namespace admin may do: task queue and deployment routing. */
  Admin: 'admin',
  /** Cluster administration: OperatorService and namespace create/update/delete. */
  System: 'system',
} as const;
export type Access = (typeof Access)[keyof typeof Access];

/** Namespace administration that Temporal reserves to the system admin. */
const SYSTEM_WORKFLOW_METHODS = new Set(['RegisterNamespace', 'UpdateNamespace', 'DeprecateNamespace']);

/** Read-only methods whose names do not start with a read verb. */
const READ_ONLY_EXTRA = new Set(['QueryWorkflow', 'PollWorkflowExecutionUpdate', 'PollActivityExecution', 'PollNexusOperationExecution']);

/** Worker-facing methods that are not Poll*Task* / Respond* / RecordActivityTaskHeartbeat*. */
const WORKER_EXTRA = new Set(['ShutdownWorker', 'RecordWorkerHeartbeat', 'FetchWorkerConfig']);

/**
 * Changes to how a namespace's work is routed to workers: a namespace admin's job, not a
 * writer's (a writer starts and signals workflows; it should not re-route every worker).
 */
const NAMESPACE_ADMIN = /^(UpdateTaskQueueConfig|UpdateWorkerConfig|UpdateWorkerBuildIdCompatibility|UpdateWorkerVersioningRules|SetWorkerDeployment|DeleteWorkerDeployment|UpdateWorkerDeploymentVersionMetadata)/;

export function accessOf(service: string, method: string): Access {
  if (method === 'GetSystemInfo') return Access.Always;
  if (service === 'OperatorService') return Access.System;
  if (SYSTEM_WORKFLOW_METHODS.has(method)) return Access.System;
  if (NAMESPACE_ADMIN.test(method)) return Access.Admin;
  if (/^(Describe|Get|List|Count|Scan)/.test(method) || READ_ONLY_EXTRA.has(method)) return Access.Read;
  if (/^Poll.*TaskQueue$/.test(method) || /^Respond/.test(method) || /^RecordActivityTaskHeartbeat/.test(method) || WORKER_EXTRA.has(method)) {
    return Access.Worker;
  }
  return Access.Write;
}
