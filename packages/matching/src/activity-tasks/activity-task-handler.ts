import type { temporal } from '@temporalio/proto';
import type { PolledTask } from '../types.js';
import type { ActivityToken, ActivityTokenForm } from './activity-token.js';

/**
 * Multi-bound DI token: every feature whose executions hand out activity tasks binds one
 * `ActivityTaskHandler` (workflow for 'workflow.workflow', standalone-activity for
 * 'activity.activity'). Matching's module builds the one activity-task router from all of them.
 */
export const ACTIVITY_TASK_HANDLERS = Symbol.for('chasm/ActivityTaskHandlers');


/** Who polled: what a feature needs to record an attempt as started and answer the poll. */
export interface ActivityPoller {
  /** The namespace as the request named it (poll responses repeat it). */
  readonly namespace: string;
  readonly namespaceId: string;
  readonly identity: string;
  /** From the `client-name` / `client-version` request headers ('' when absent). */
  readonly sdkName: string;
  readonly sdkVersion: string;
}

/** RecordActivityTaskHeartbeat[ById]'s answer. */
export interface ActivityHeartbeatResult {
  readonly cancelRequested: boolean;
  /** Set when the activity was paused: the worker should stop the attempt (standalone activities). */
  readonly activityPaused?: boolean;
  /** Set when the activity was reset: the worker should stop the attempt (standalone activities). */
  readonly activityReset?: boolean;
}

/**
 * What a feature implements for the activity tasks of its executions. The router has already
 * resolved the namespace, decoded the token (or payload) and checked that it is this handler's
 * archetype and form and the request's namespace. By-id RPCs hand over the token `tokenById` made,
 * with the by-id fields mapped onto the token request's (result, failure, details, identity,
 * last heartbeat details).
 */
export interface ActivityTaskHandler {
  /** Root archetype of the executions this handler owns, e.g. 'workflow.workflow'. */
  readonly archetype: string;
  /** The wire form of this feature's tokens and payloads. */
  readonly tokenForm: ActivityTokenForm;
  /**
   * Records the matched task as started and returns the whole poll response; undefined (or a
   * NOT_FOUND) when the task is stale, and matching drops it.
   */
  onPolled(task: ActivityToken, polled: PolledTask, poller: ActivityPoller): Promise<temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined>;
  complete(token: ActivityToken, req: temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest): Promise<void>;
  fail(token: ActivityToken, req: temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest): Promise<void>;
  cancel(token: ActivityToken, req: temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest): Promise<void>;
  heartbeat(token: ActivityToken, req: temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest): Promise<ActivityHeartbeatResult>;
  /**
   * The token of the activity the *ById RPCs address (`workflowId` is '' for activities outside a
   * workflow); undefined when they do not address this feature's activities. May throw (e.g.
   * NOT_FOUND) when they do but name nothing.
   */
  tokenById(namespaceId: string, workflowId: string, runId: string, activityId: string): Promise<ActivityToken | undefined>;
  /**
   * The token of the activity a workflow scheduled with the given event id (`runId` '' = the
   * current run), for task tokens tools build from Temporal's ids alone; undefined when there is
   * none. The router sets the attempt to the token's. Only features whose activities have
   * scheduled events implement it.
   */
  tokenByScheduledEvent?(namespaceId: string, workflowId: string, runId: string, scheduledEventId: number): Promise<ActivityToken | undefined>;
}
