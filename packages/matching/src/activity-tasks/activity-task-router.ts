import {
  ChasmError,
  checkTokenNamespace,
  ErrorCode,
  InvalidArgumentError,
  NotFoundError,
  WORKFLOW_SERVICE,
  type NamespaceResolver,
  type RpcCallContext,
  type RpcHandlerSet,
  withFields,
} from '@chasm/core';
import type { temporal } from '@temporalio/proto';
import type { MatchingService } from '../matching-service.js';
import type { ActivityPoller, ActivityTaskHandler } from './activity-task-handler.js';
import { decodeActivityTaskPayload, decodeAnyActivityToken, type ActivityToken } from './activity-token.js';
import type { TemporalTaskToken } from './temporal-task-token.js';
import { activityTokenCounter, type TokenKind } from './token-metrics.js';
import type { Registry } from 'prom-client';

type WS = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof WS> = WS[K] extends { prototype: infer M } ? M : never;

/**
 * The activity-task RPCs: PollActivityTaskQueue, RespondActivityTask{Completed,Failed,Canceled}[ById]
 * and RecordActivityTaskHeartbeat[ById]. They serve every activity of a task queue, whichever
 * feature owns it, and exactly one package may provide a gRPC method: this router provides them
 * and hands each task, token or by-id request to the handler bound for its archetype. With no
 * handler bound it provides no method at all (the server answers UNIMPLEMENTED).
 */
export function activityTaskRouterHandlers(
  handlers: readonly ActivityTaskHandler[],
  matching: MatchingService,
  namespaces: NamespaceResolver,
  registry?: Registry,
): RpcHandlerSet {
  if (handlers.length === 0) return { service: WORKFLOW_SERVICE, methods: {} };
  const byArchetype = new Map<string, ActivityTaskHandler>();
  for (const h of handlers) {
    if (byArchetype.has(h.archetype)) throw new Error(`two activity task handlers are bound for archetype '${h.archetype}'`);
    byArchetype.set(h.archetype, h);
  }

  const tokens = activityTokenCounter(registry);
  const counted = async <T>(kind: TokenKind, f: () => Promise<T>): Promise<T> => {
    try {
      const out = await f();
      tokens?.inc({ kind });
      return out;
    } catch (e) {
      if (e instanceof InvalidArgumentError) tokens?.inc({ kind: e.message.includes('different namespace') ? 'wrong_namespace' : 'malformed' });
      else tokens?.inc({ kind });
      throw e;
    }
  };

  /** The handler of a task token, after the checks every token gets (form, archetype, namespace). */
  const route = async (req: { namespace?: string | null; taskToken?: Uint8Array | null }): Promise<{ h: ActivityTaskHandler; token: ActivityToken }> => {
    let decoded;
    try {
      decoded = decodeAnyActivityToken(req.taskToken, 'task_token');
    } catch (e) {
      tokens?.inc({ kind: 'malformed' });
      throw e;
    }
    if (decoded.kind === 'ids') {
      const task = decoded.task;
      return counted('ids', async () => {
        await checkTokenNamespace(namespaces, req.namespace, task.namespaceId);
        return byTemporalIds(task);
      });
    }
    const { token, form } = decoded;
    return counted(req.taskToken?.[0] === 0x5b ? 'legacy' : 'issued', async () => {
      const h = byArchetype.get(token.ref.archetype);
      // A ref of another archetype, or a token in another feature's form, is not a task token.
      if (!h || h.tokenForm !== form) throw new InvalidArgumentError('task_token', 'task_token is malformed');
      await checkTokenNamespace(namespaces, req.namespace, token.ref.namespaceId);
      return { h, token };
    });
  };

  /**
   * A token a tool built from Temporal's ids alone (no `component_ref`): resolved as Temporal's
   * history service does, by scheduled event id (the attempt must then be the current one) or,
   * without one, by activity id (any attempt, like the *ById RPCs). Nothing there is NOT_FOUND.
   */
  const byTemporalIds = async (task: TemporalTaskToken): Promise<{ h: ActivityTaskHandler; token: ActivityToken }> => {
    if (task.scheduledEventId > 0 && task.workflowId) {
      for (const h of handlers) {
        const token = await h.tokenByScheduledEvent?.(task.namespaceId, task.workflowId, task.runId, task.scheduledEventId);
        if (token) return { h, token: withFields(token, { attempt: task.attempt }) };
      }
      throw new NotFoundError('activity not found');
    }
    if (!task.activityId) throw new NotFoundError('activity not found');
    for (const h of handlers) {
      const token = await h.tokenById(task.namespaceId, task.workflowId, task.runId, task.activityId);
      if (token) return { h, token };
    }
    throw new NotFoundError('activity not found');
  };

  /** The handler and token of a by-id request: the first handler whose activities the ids address. */
  const byId = async (req: {
    namespace?: string | null;
    workflowId?: string | null;
    runId?: string | null;
    activityId?: string | null;
  }): Promise<{ h: ActivityTaskHandler; token: ActivityToken }> => {
    const namespaceId = await namespaces.idOf(req.namespace ?? '');
    if (!req.activityId) throw new InvalidArgumentError('activity_id', 'ActivityId is not set on request.');
    const workflowId = req.workflowId ?? '';
    for (const h of handlers) {
      const token = await h.tokenById(namespaceId, workflowId, req.runId ?? '', req.activityId);
      if (token) return { h, token };
    }
    // Without a workflow id only activities outside workflows are addressed: no handler took them.
    if (!workflowId) throw new InvalidArgumentError('workflow_id', 'WorkflowId is not set on request.');
    throw new NotFoundError('activity not found');
  };

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async PollActivityTaskQueue(req: Req<'PollActivityTaskQueueRequest'>, call: RpcCallContext) {
        const namespace = req.namespace ?? '';
        const namespaceId = await namespaces.idOf(namespace);
        const name = req.taskQueue?.name ?? '';
        if (!name) throw new InvalidArgumentError('task_queue', 'TaskQueue is not set on request.');
        const poller: ActivityPoller = {
          namespace,
          namespaceId,
          identity: req.identity ?? '',
          sdkName: call.metadata['client-name'] ?? '',
          sdkVersion: call.metadata['client-version'] ?? '',
        };
        const rate = req.taskQueueMetadata?.maxTasksPerSecond?.value;
        let response: temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined;
        const task = await matching.poll(
          {
            namespaceId,
            taskQueue: { name, kind: 'normal' },
            type: 'activity',
            identity: poller.identity,
            ...(rate ? { ratePerSecond: rate } : {}),
            ...(req.workerInstanceKey ? { workerInstanceKey: req.workerInstanceKey } : {}),
            client: { name: poller.sdkName, version: poller.sdkVersion },
            // Runs for each matched task: the owning feature starts the attempt in its own
            // transaction, so matching hands out only tasks that really started.
            accept: async (t) => {
              response = undefined;
              const token = decodeActivityTaskPayload(t.payload);
              if (!token || token.ref.namespaceId !== namespaceId) return 'stale';
              const h = byArchetype.get(token.ref.archetype);
              if (!h) return 'stale';
              try {
                response = await h.onPolled(token, t, poller);
              } catch (e) {
                // Gone (deleted, replaced): drop this task and keep polling.
                if (ChasmError.is(e) && e.code === ErrorCode.NotFound) return 'stale';
                throw e;
              }
              return response ? 'accepted' : 'stale';
            },
          },
          call.signal,
          call.deadline,
        );
        // A task handed to this poll by a reserver comes already started, with its answer
        // (the feature built it in the commit that started the attempt; no accept hook ran).
        const answer = (task?.prepared as temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse | undefined) ?? response;
        // Core reads "no task" only from an entirely default response.
        return task && answer ? answer : {};
      },
      async RespondActivityTaskCompleted(req: Req<'RespondActivityTaskCompletedRequest'>) {
        const { h, token } = await route(req);
        await h.complete(token, req);
        return {};
      },
      async RespondActivityTaskFailed(req: Req<'RespondActivityTaskFailedRequest'>) {
        const { h, token } = await route(req);
        await h.fail(token, req);
        return { failures: [] };
      },
      async RespondActivityTaskCanceled(req: Req<'RespondActivityTaskCanceledRequest'>) {
        const { h, token } = await route(req);
        await h.cancel(token, req);
        return {};
      },
      async RecordActivityTaskHeartbeat(req: Req<'RecordActivityTaskHeartbeatRequest'>) {
        const { h, token } = await route(req);
        return h.heartbeat(token, req);
      },
      async RespondActivityTaskCompletedById(req: Req<'RespondActivityTaskCompletedByIdRequest'>) {
        const { h, token } = await byId(req);
        await h.complete(token, { result: req.result ?? null, identity: req.identity ?? '' });
        return {};
      },
      async RespondActivityTaskFailedById(req: Req<'RespondActivityTaskFailedByIdRequest'>) {
        const { h, token } = await byId(req);
        await h.fail(token, { failure: req.failure ?? null, identity: req.identity ?? '', lastHeartbeatDetails: req.lastHeartbeatDetails ?? null });
        return { failures: [] };
      },
      async RespondActivityTaskCanceledById(req: Req<'RespondActivityTaskCanceledByIdRequest'>) {
        const { h, token } = await byId(req);
        await h.cancel(token, { details: req.details ?? null, identity: req.identity ?? '' });
        return {};
      },
      async RecordActivityTaskHeartbeatById(req: Req<'RecordActivityTaskHeartbeatByIdRequest'>) {
        const { h, token } = await byId(req);
        return h.heartbeat(token, { details: req.details ?? null, identity: req.identity ?? '' });
      },
    },
  };
}
