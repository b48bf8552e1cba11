import {
  decodeRef,
  InvalidArgumentError,
  NotFoundError,
  WORKFLOW_SERVICE,
  type ComponentRef,
  type NamespaceResolver,
  type RpcCallContext,
  type RpcHandlerSet,
} from '@chasm/core';
import type { MatchingService, PolledTask } from '@chasm/matching';
import type { temporal } from '../proto.js';


/**
 * Multi-bound DI token: every feature whose executions hand out activity tasks (workflow,
 * standalone-activity) binds one `ActivityTaskHandler`. Matching payloads and task tokens are
 * encoded component refs, whose archetype names the owning feature.
 */
export const ACTIVITY_TASK_HANDLERS = Symbol.for('chasm/ActivityTaskHandlers');
/**
 * Bound (to a package name) by every package that serves the activity-task RPCs through this
 * router design. When another package binds it, the workflow package leaves the RPCs to it so
 * that exactly one package provides each method.
 */
export const ACTIVITY_TASK_ROUTER_OWNER = Symbol.for('chasm/ActivityTaskRouterOwner');

/** A decoded activity task token: the component ref and the attempt it was issued for. */
export interface ActivityToken {
  readonly ref: ComponentRef;
  readonly attempt: number;
}

/** What a feature implements for activity tasks of its executions. */
export interface ActivityTaskHandler {
  /** Root archetype of the executions this handler owns, e.g. 'workflow.workflow'. */
  readonly archetype: string;
  /** Marks the polled task started; undefined when the task is stale (matching drops it). */
  onPolled(ref: ComponentRef, task: PolledTask, identity: string): Promise<temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined>;
  complete(token: ComponentRef, req: temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest): Promise<void>;
  fail(token: ComponentRef, req: temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest): Promise<void>;
  cancel(token: ComponentRef, req: temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest): Promise<void>;
  heartbeat(token: ComponentRef, req: temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest): Promise<{ cancelRequested: boolean }>;
  /** The task token of a running activity addressed by ids (the *ById RPCs); undefined if not this feature's. */
  tokenById(namespaceId: string, workflowId: string, runId: string, activityId: string): Promise<ComponentRef | undefined>;
}

/** Activity-task RPCs routed by archetype to the feature that owns the task. */
export function activityTaskRouterHandlers(
  handlers: readonly ActivityTaskHandler[],
  matching: MatchingService,
  namespaces: NamespaceResolver,
): RpcHandlerSet {
  const byArchetype = new Map(handlers.map((h) => [h.archetype, h]));
  const route = (token: Uint8Array | null | undefined): { h: ActivityTaskHandler; ref: ComponentRef } => {
    const ref = decodeRef(token);
    const h = byArchetype.get(ref.archetype);
    if (!h) throw new NotFoundError(`no activity task handler for ${ref.archetype}`);
    return { h, ref };
  };
  const byId = async (req: { namespace?: string | null; workflowId?: string | null; runId?: string | null; activityId?: string | null }) => {
    const namespaceId = await namespaces.idOf(req.namespace ?? '');
    if (!req.workflowId) throw new InvalidArgumentError('workflow_id', 'WorkflowId is not set on request.');
    if (!req.activityId) throw new InvalidArgumentError('activity_id', 'ActivityId is not set on request.');
    for (const h of handlers) {
      const ref = await h.tokenById(namespaceId, req.workflowId, req.runId ?? '', req.activityId);
      if (ref) return { h, ref };
    }
    throw new NotFoundError('activity not found');
  };

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async PollActivityTaskQueue(req: temporal.api.workflowservice.v1.IPollActivityTaskQueueRequest, call: RpcCallContext) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const name = req.taskQueue?.name ?? '';
        if (!name) throw new InvalidArgumentError('task_queue', 'TaskQueue is not set on request.');
        const identity = req.identity ?? '';
        let response: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined;
        const maxTps = req.taskQueueMetadata?.maxTasksPerSecond?.value;
        const task = await matching.poll(
          {
            namespaceId,
            taskQueue: { name, kind: 'normal' },
            type: 'activity',
            identity,
            ...(maxTps ? { ratePerSecond: maxTps } : {}),
            ...(req.workerInstanceKey ? { workerInstanceKey: req.workerInstanceKey } : {}),
            accept: async (t) => {
              let ref: ComponentRef;
              try {
                ref = decodeRef(t.payload, 'payload');
              } catch {
                return 'stale';
              }
              const h = byArchetype.get(ref.archetype);
              if (!h) return 'stale';
              try {
                response = await h.onPolled(ref, t, identity);
              } catch (e) {
                if (e instanceof NotFoundError) return 'stale';
                throw e;
              }
              return response ? 'accepted' : 'stale';
            },
          },
          call.signal,
          call.deadline,
        );
        return task && response ? response : {};
      },
      async RespondActivityTaskCompleted(req: temporal.api.workflowservice.v1.IRespondActivityTaskCompletedRequest) {
        const { h, ref } = route(req.taskToken);
        await h.complete(ref, req);
        return {};
      },
      async RespondActivityTaskFailed(req: temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest) {
        const { h, ref } = route(req.taskToken);
        await h.fail(ref, req);
        return { failures: [] };
      },
      async RespondActivityTaskCanceled(req: temporal.api.workflowservice.v1.IRespondActivityTaskCanceledRequest) {
        const { h, ref } = route(req.taskToken);
        await h.cancel(ref, req);
        return {};
      },
      async RecordActivityTaskHeartbeat(req: temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatRequest) {
        const { h, ref } = route(req.taskToken);
        return h.heartbeat(ref, req);
      },
      async RespondActivityTaskCompletedById(req: temporal.api.workflowservice.v1.IRespondActivityTaskCompletedByIdRequest) {
        const { h, ref } = await byId(req);
        await h.complete(ref, { result: req.result ?? null, identity: req.identity ?? '' });
        return {};
      },
      async RespondActivityTaskFailedById(req: temporal.api.workflowservice.v1.IRespondActivityTaskFailedByIdRequest) {
        const { h, ref } = await byId(req);
        await h.fail(ref, { failure: req.failure ?? null, identity: req.identity ?? '', lastHeartbeatDetails: req.lastHeartbeatDetails ?? null });
        return { failures: [] };
      },
      async RespondActivityTaskCanceledById(req: temporal.api.workflowservice.v1.IRespondActivityTaskCanceledByIdRequest) {
        const { h, ref } = await byId(req);
        await h.cancel(ref, { details: req.details ?? null, identity: req.identity ?? '' });
        return {};
      },
      async RecordActivityTaskHeartbeatById(req: temporal.api.workflowservice.v1.IRecordActivityTaskHeartbeatByIdRequest) {
        const { h, ref } = await byId(req);
        return h.heartbeat(ref, { details: req.details ?? null, identity: req.identity ?? '' });
      },
    },
  };
}
