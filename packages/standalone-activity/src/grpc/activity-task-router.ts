import type { ComponentRef } from '@chasm/core';
import { type PolledTask, type temporal } from '@chasm/matching';

/**
 * The activity-task routing contract shared with the workflow package (docs/decisions/0005 and
 * 0006). PollActivityTaskQueue, RespondActivityTask* and RecordActivityTaskHeartbeat[ById] serve
 * every activity on a task queue, whichever feature owns it, and exactly one package may provide
 * a gRPC method. This package is that router: standalone activity tasks are handled here, and
 * any other task is handed to the feature that binds an `ActivityTaskHandler` for its archetype.
 * The tokens are `Symbol.for` keys and the handler type is structural, so neither package imports
 * the other.
 */
export const ACTIVITY_TASK_HANDLERS = Symbol.for('chasm/ActivityTaskHandlers');
/** Bound by the package that serves the activity-task RPCs (here: 'standalone-activity'). */
export const ACTIVITY_TASK_ROUTER_OWNER = Symbol.for('chasm/ActivityTaskRouterOwner');

type WS = typeof temporal.api.workflowservice.v1;
type I<K extends keyof WS> = WS[K] extends { prototype: infer M } ? Partial<M> : never;

/** What another feature implements for activity tasks of its executions (matching payloads and tokens are `encodeRef` refs). */
export interface ActivityTaskHandler {
  /** Root archetype of the executions this handler owns, e.g. 'workflow.workflow'. */
  readonly archetype: string;
  /** Marks the polled task started; undefined when it is stale (matching drops it). */
  onPolled(ref: ComponentRef, task: PolledTask, identity: string): Promise<object | undefined>;
  complete(ref: ComponentRef, req: I<'RespondActivityTaskCompletedRequest'>): Promise<void>;
  fail(ref: ComponentRef, req: I<'RespondActivityTaskFailedRequest'>): Promise<void>;
  cancel(ref: ComponentRef, req: I<'RespondActivityTaskCanceledRequest'>): Promise<void>;
  heartbeat(ref: ComponentRef, req: I<'RecordActivityTaskHeartbeatRequest'>): Promise<{ cancelRequested: boolean; activityPaused?: boolean; activityReset?: boolean }>;
  /** The token of a running activity addressed by ids (the *ById RPCs with a workflow id); undefined if not this feature's. */
  tokenById(namespaceId: string, workflowId: string, runId: string, activityId: string): Promise<ComponentRef | undefined>;
}
