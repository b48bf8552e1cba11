/**
 * What a front-door call is, for admission: its class picks the concurrency limit it counts
 * against and its priority in the namespace's rate limiter (0 is served first).
 *
 * - `system`: what an SDK needs to connect and operators need to look around (GetSystemInfo,
 *   DescribeNamespace, …). Temporal's P0.
 * - `poll`: long polls, held open until work arrives or the deadline nears. Counted by the poll
 *   concurrency limit; they are how workers make progress, so they come before new work.
 * - `complete`: task completions, failures and heartbeats: progress on work already started.
 *   Refusing them makes the work run again, which only adds load.
 * - `start`: new work and external events (starts, signals, updates, new schedules and batches).
 *   Refused first when a namespace is over its quota.
 * - `other`: everything else (describe, list, query, cancel, terminate, admin).
 */
export const RPC_CLASSES = ['system', 'poll', 'complete', 'start', 'other'] as const;
export type RpcClass = (typeof RPC_CLASSES)[number];

/** Priority per class (0 first): polls and completions before reads and control, new work last. */
export const CLASS_PRIORITY: Readonly<Record<RpcClass, number>> = { system: 0, poll: 1, complete: 1, other: 2, start: 3 };
export const PRIORITY_LEVELS = 4;

const SYSTEM = new Set(['GetSystemInfo', 'GetClusterInfo', 'DescribeNamespace', 'ListNamespaces', 'GetSearchAttributes', 'ListSearchAttributes', 'ListClusters']);
const COMPLETE = /^(Respond.*|RecordActivityTaskHeartbeat(ById)?|ShutdownWorker|RecordWorkerHeartbeat)$/;
const START = new Set([
  'StartWorkflowExecution',
  'SignalWithStartWorkflowExecution',
  'SignalWorkflowExecution',
  'ExecuteMultiOperation',
  'UpdateWorkflowExecution',
  'CreateSchedule',
  'StartBatchOperation',
  'StartActivityExecution',
  'StartNexusOperationExecution',
]);

/**
 * The class of a method (by its proto name). GetWorkflowExecutionHistory is a long poll only when
 * it waits for new events (the SDK's `result()`), so that one is decided per request: see
 * `classOfCall`.
 */
export function classOfMethod(method: string): RpcClass {
  if (SYSTEM.has(method)) return 'system';
  if (method.startsWith('Poll')) return 'poll';
  if (COMPLETE.test(method)) return 'complete';
  if (START.has(method)) return 'start';
  return 'other';
}

/** The class of one call: its method's, except for a history read that waits for new events. */
export function classOfCall(method: string, methodClass: RpcClass, request: unknown): RpcClass {
  if (method === 'GetWorkflowExecutionHistory' && (request as { waitNewEvent?: unknown } | null)?.waitNewEvent === true) return 'poll';
  return methodClass;
}
