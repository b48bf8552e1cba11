/**
 * @module @chasm/workflow
 * Workflow executions as a CHASM root component: event history in append-only batches,
 * workflow tasks (normal and sticky queues), every command, activities inside workflows,
 * timers, signals, queries, cancellation, termination, children, continue-as-new and retries,
 * visibility with Temporal's query language, and the WorkflowService methods for all of it.
 */
export { Workflow, type WorkflowState, type WorkflowComponent, type WorkflowStatus } from './workflow/workflow.js';
export { Activity, type ActivityState } from './activity/activity.js';
export { createWorkflowLibrary } from './library.js';
export { workflowModule, WORKFLOW_CONFIG, WORKFLOW_DEPS } from './module.js';
export { DEFAULT_WORKFLOW_CONFIG, limitsFor, workflowConfigSchema, type WorkflowConfig } from './config.js';
export { UnhandledCommandError } from './errors.js';
export { SYSTEM_SEARCH_ATTRIBUTES, workflowQueryLanguage } from './query/workflow-query.js';
export { workflowActivityTaskHandler } from './activity/activity-task-handler.js';
export type { WorkflowDeps } from './workflow/deps.js';
export { SearchAttributeRegistry } from './grpc/search-attribute-registry.js';
// The extension point for packages that extend workflow runs (workflow-update; ADR 0007).
export {
  registerWorkflowExtension,
  type WorkflowExtension,
  type WorkflowHistory,
  type StartingTask,
  type CompletingTask,
  type ProtocolMessage,
  type Command,
  type DescribeResponse,
} from './workflow/extensions.js';
export { recordExternalEvent, requestWorkflowTask } from './workflow/mutable-state.js';
export { readHistory } from './workflow/history-writer.js';
export { BadCommandError } from './activity/activity-state-machine.js';
export { callbackAdmission, planWorkflowStart, type WorkflowStartPlan } from './grpc/start-request.js';
export type { CallbackAdmission } from './grpc/validate.js';
// The default export is what a server loads when a config names this package by name or path.
export { workflowPlugin, workflowPlugin as default } from './plugin.js';
// Speculative workflow tasks (ADR 0034): what workflow-update schedules an update's task with.
export { dispatchSpeculativeWorkflowTask, scheduleSpeculativeWorkflowTask, type SpeculativeDispatch } from './workflow/speculative-task.js';
// ADR 0053: the admitting transaction starts the speculative task for a waiting poller.
export { speculativeUpdateWithHandoff, type SpeculativeTarget } from './workflow/speculative-handoff.js';
