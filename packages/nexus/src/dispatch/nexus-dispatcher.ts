import type { temporal } from '../proto.js';

/** DI token of the `NexusDispatcher`: how the caller side hands a Nexus request to a worker. */
export const NEXUS_DISPATCHER = Symbol.for('chasm/NexusDispatcher');

export interface DispatchRequest {
  readonly namespaceId: string;
  /** The worker target's task queue (an endpoint's `target.worker.task_queue`). */
  readonly taskQueue: string;
  /** Start or cancel operation, with the caller's header; `request-timeout` is added per poll. */
  readonly request: temporal.api.nexus.v1.IRequest;
  /** The caller's deadline: no worker took and answered it by then means a timeout. */
  readonly deadline: Date;
  /** The caller gave up: the result is `canceled` and a later answer from the worker is refused. */
  readonly signal?: AbortSignal;
}

/** What came back from the handler worker, or why nothing did. */
export type NexusTaskResult =
  /** RespondNexusTaskCompleted: a start (sync result, async token, or operation failure) or cancel response. */
  | {
      readonly outcome: 'completed';
      readonly response: temporal.api.nexus.v1.IResponse;
      readonly identity: string;
    }
  /**
   * RespondNexusTaskFailed: a handler error, as a Temporal failure (`failure`, when the request
   * announced `capabilities.temporal_failure_responses`) or in the legacy form (`error`).
   */
  | {
      readonly outcome: 'failed';
      readonly error?: temporal.api.nexus.v1.IHandlerError;
      readonly failure?: temporal.api.failure.v1.IFailure;
      readonly identity: string;
    }
  /** The deadline passed: before any worker polled the task, or after one took it but before it answered. */
  | { readonly outcome: 'timeout'; readonly stage: 'no-poller' | 'no-response' }
  /** The caller's signal aborted, or this node is stopping. */
  | { readonly outcome: 'canceled' };

/**
 * Hands Nexus requests to the workers polling a task queue (reference C.3, "worker targets") and
 * waits for their answer. Tasks are sync-matched only, never backlogged: a task no worker polls
 * before the deadline is a timeout.
 */
export interface NexusDispatcher {
  dispatch(req: DispatchRequest): Promise<NexusTaskResult>;
}
