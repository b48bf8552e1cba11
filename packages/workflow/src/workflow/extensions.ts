import type { MutableContext } from '@chasm/core';
import type { HistoryEvent, temporal } from '../proto.js';

export type Command = temporal.api.command.v1.ICommand;
export type DescribeResponse = temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse;
import type { WorkflowComponent, WorkflowStatus } from './workflow.js';

export type ProtocolMessage = temporal.api.protocol.v1.IMessage;

/** What an extension may do to the run inside the workflow's own transaction. */
export interface WorkflowHistory {
  readonly wf: WorkflowComponent;
  readonly ctx: MutableContext;
  /** Transaction time, ms. */
  readonly now: number;
  /** Appends an event now (command events: never buffered); returns its id. */
  append(ev: HistoryEvent): number;
}

/** The workflow task being started for a poller. */
export interface StartingTask {
  readonly stamp: number;
  readonly startedEventId: number;
  readonly attempt: number;
}

/** The workflow task whose RespondWorkflowTaskCompleted is being applied. */
export interface CompletingTask {
  readonly stamp: number;
  readonly startedEventId: number;
  readonly completedEventId: number;
  readonly identity: string;
  /** force_create_new_workflow_task: a heartbeat, the worker is not done with its activation. */
  readonly heartbeat: boolean;
  /** What each extension's `prepare` resolved for this completion, by extension name. */
  readonly prepared?: ReadonlyMap<string, unknown>;
}

/**
 * A package that extends workflow runs (workflow-update). It keeps its components under the
 * root's `extensions` map and takes part in the workflow-task protocol through these hooks. Every
 * hook runs inside the workflow's transaction and must be pure: no I/O, no per-server services.
 */
export interface WorkflowExtension {
  /** Unique; registering the same name again replaces the previous one. */
  readonly name: string;
  /** Protocol messages for the task being started (PollWorkflowTaskQueueResponse.messages). */
  outgoingMessages?(wf: WorkflowComponent, ctx: MutableContext, task: StartingTask): ProtocolMessage[];
  /**
   * A protocol message from the completion, at its PROTOCOL_MESSAGE command's position (or after
   * all commands for messages without one). Returns false when the message is not this
   * extension's. Throw BadCommandError to fail the task with a cause.
   */
  applyMessage?(h: WorkflowHistory, msg: ProtocolMessage, task: CompletingTask): boolean;
  /**
   * Runs before the completion's transaction, outside the lock: the place for the I/O a command
   * needs (the Nexus endpoint a ScheduleNexusOperation names). Its result reaches `applyCommand`
   * as `task.prepared.get(name)`. Return undefined when the completion holds nothing of yours.
   */
  prepare?(namespaceId: string, commands: readonly Command[]): Promise<unknown>;
  /**
   * A command the workflow package does not handle, at its position. Returns false when it is not
   * this extension's, 'newTask' when a workflow task must follow. Throw BadCommandError (or an
   * InvalidArgumentError, mapped to the command's BAD_*_ATTRIBUTES cause) to fail the task.
   */
  applyCommand?(h: WorkflowHistory, cmd: Command, task: CompletingTask): boolean | 'newTask';
  /**
   * Whether applying this message of yours writes nothing (an update rejection). A speculative
   * task whose completion has no commands and only such messages is discarded (ADR 0034):
   * `applyMessage` and `afterCompletion` then run in a speculative update and must append no
   * events and add no tasks.
   */
  discardable?(msg: ProtocolMessage): boolean;
  /** Adds this extension's part to DescribeWorkflowExecution (e.g. pending Nexus operations). */
  describe?(wf: WorkflowComponent, out: DescribeResponse): void;
  /** After all commands and messages of a completion (the run may have just closed). */
  afterCompletion?(h: WorkflowHistory, task: CompletingTask): void;
  /** Something only a new workflow task can deliver is waiting (checked after each completion). */
  needsWorkflowTask?(wf: WorkflowComponent): boolean;
  /** SuggestContinueAsNewReason values for the task being started (none: no suggestion). */
  continueAsNewReasons?(wf: WorkflowComponent): number[];
  /** The run closed, for any reason, in this transaction. */
  onClose?(wf: WorkflowComponent, ctx: MutableContext, status: Exclude<WorkflowStatus, 'running'>): void;
}

/**
 * The registered extensions. Module level, like `workflowHooks`, because pure tasks and the
 * close paths run with no handle on per-server state; the hooks are pure functions over the tree,
 * so sharing them between servers in one process is harmless (they act only on runs that hold
 * the extension's components).
 */
const registered = new Map<string, WorkflowExtension>();

export function registerWorkflowExtension(ext: WorkflowExtension): void {
  registered.set(ext.name, ext);
}

export function workflowExtensions(): Iterable<WorkflowExtension> {
  return registered.values();
}
