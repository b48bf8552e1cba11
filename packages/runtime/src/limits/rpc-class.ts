/**
 * What a front-door call is, for admission: its class picks the concurrency limit it counts
 * against; its priority in the namespace's rate limiter is Temporal's, per method
 * (`priorityOfCall`).
 *
 * - `system`: what an SDK needs to connect and operators need to look around (GetSystemInfo,
 *   DescribeNamespace, …).
 * - `poll`: long polls, held open until work arrives or the deadline nears. Counted by the poll
 *   concurrency limit.
 * - `complete`: task completions, failures and heartbeats: progress on work already started.
 *   Refusing them makes the work run again, which only adds load.
 * - `start`: new work and external events (starts, signals, updates, new schedules and batches).
 * - `other`: everything else (describe, list, query, cancel, terminate, admin).
 */
export const RPC_CLASSES = ['system', 'poll', 'complete', 'start', 'other'] as const;
export type RpcClass = (typeof RPC_CLASSES)[number];

/**
 * Temporal's priority levels for the namespace rate limiter (0 is served first), per method, as
 * in its frontend's `APIToPriority` (service/frontend/configs/quotas.go):
 * 0 system; 1 external events (starts, signals, updates) and progress (heartbeats and
 * completions); 2 state changes (cancel, terminate, reset, history reads for replay); 3 status
 * queries and task failures (retried anyway); 4 polls and other low-priority calls; 5 history
 * long polls (waitNewEvent), so their spikes do not block task polls.
 *
 * Polls come last: a worker's poll is the one call whose refusal costs nothing but a retry
 * (nothing is lost, the backlog keeps the task), while a refused start or completion is work the
 * caller must redo. Long polls are also bounded by the poll concurrency limit. Methods Temporal
 * does not list (visibility, namespace administration, operator calls) get 3.
 */
export const PRIORITY_LEVELS = 6;
const DEFAULT_PRIORITY = 3;
const PRIORITY: ReadonlyMap<string, number> = new Map(
  Object.entries({
    0: ['GetClusterInfo', 'GetSystemInfo', 'GetSearchAttributes', 'DescribeNamespace', 'ListNamespaces', 'DeprecateNamespace'],
    1: [
      'SignalWorkflowExecution',
      'SignalWithStartWorkflowExecution',
      'StartWorkflowExecution',
      'UpdateWorkflowExecution',
      'ExecuteMultiOperation',
      'CreateSchedule',
      'StartBatchOperation',
      'StartActivityExecution',
      'StartNexusOperationExecution',
      'RecordActivityTaskHeartbeat',
      'RecordActivityTaskHeartbeatById',
      'RespondActivityTaskCompleted',
      'RespondActivityTaskCompletedById',
      'RespondWorkflowTaskCompleted',
      'RespondQueryTaskCompleted',
      'RespondNexusTaskCompleted',
    ],
    2: [
      'RequestCancelWorkflowExecution',
      'TerminateWorkflowExecution',
      'ResetWorkflowExecution',
      'DeleteWorkflowExecution',
      'GetWorkflowExecutionHistory',
      'UpdateSchedule',
      'PatchSchedule',
      'DeleteSchedule',
      'StopBatchOperation',
      'UpdateActivityOptions',
      'PauseActivity',
      'UnpauseActivity',
      'ResetActivity',
      'UpdateWorkflowExecutionOptions',
      'PauseWorkflowExecution',
      'UnpauseWorkflowExecution',
      'RequestCancelActivityExecution',
      'TerminateActivityExecution',
      'DeleteActivityExecution',
      'GetActivityExecutionResult',
    ],
    3: [
      'DescribeWorkflowExecution',
      'DescribeTaskQueue',
      'QueryWorkflow',
      'DescribeSchedule',
      'ListScheduleMatchingTimes',
      'DescribeBatchOperation',
      'DescribeActivityExecution',
      'RespondActivityTaskCanceled',
      'RespondActivityTaskCanceledById',
      'RespondActivityTaskFailed',
      'RespondActivityTaskFailedById',
      'RespondWorkflowTaskFailed',
      'RespondNexusTaskFailed',
    ],
    4: [
      'PollWorkflowTaskQueue',
      'PollActivityTaskQueue',
      'PollWorkflowExecutionUpdate',
      'PollNexusTaskQueue',
      'ResetStickyTaskQueue',
      'ShutdownWorker',
      'GetWorkflowExecutionHistoryReverse',
      'RecordWorkerHeartbeat',
      'FetchWorkerConfig',
      'UpdateWorkerConfig',
    ],
  }).flatMap(([level, methods]) => methods.map((m) => [m, Number(level)] as const)),
);

/** The rate-limit priority of one call (Temporal's): its method's, 5 for a history long poll. */
export function priorityOfCall(method: string, request: unknown): number {
  if (method === 'GetWorkflowExecutionHistory' && (request as { waitNewEvent?: unknown } | null)?.waitNewEvent === true) return 5;
  return PRIORITY.get(method) ?? DEFAULT_PRIORITY;
}

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
