import { checkTokenNamespace, InvalidArgumentError, WORKFLOW_SERVICE, type Clock, type NamespaceResolver, type RpcCallContext, type RpcHandlerSet } from '@chasm/core';
import { heartbeatFromProto, type MatchingService } from '@chasm/matching';
import type { PendingNexusTask } from '../dispatch/pending-tasks.js';
import type { NexusTaskDispatcher } from '../dispatch/task-dispatcher.js';
import { decodeNexusTaskPayload } from '../dispatch/task-payload.js';
import { decodeNexusTaskToken, encodeNexusTaskToken, type NexusTaskToken } from '../dispatch/task-token.js';
import type { temporal } from '../proto.js';

type PollRequest = temporal.api.workflowservice.v1.IPollNexusTaskQueueRequest;
type PollResponse = temporal.api.workflowservice.v1.IPollNexusTaskQueueResponse;
type CompletedRequest = temporal.api.workflowservice.v1.IRespondNexusTaskCompletedRequest;
type FailedRequest = temporal.api.workflowservice.v1.IRespondNexusTaskFailedRequest;

/** The worker side of Nexus: the WorkflowService methods a Nexus handler worker calls. */
export const NEXUS_TASK_METHODS = ['PollNexusTaskQueue', 'RespondNexusTaskCompleted', 'RespondNexusTaskFailed'] as const;

/** The header that tells the handler how long its caller waits (Nexus spec; Go duration syntax, `ms` is one). */
export const REQUEST_TIMEOUT_HEADER = 'request-timeout';

export interface NexusTaskHandlerDeps {
  readonly dispatcher: NexusTaskDispatcher;
  readonly matching: MatchingService;
  readonly namespaces: NamespaceResolver;
  readonly clock: Clock;
}

/**
 * PollNexusTaskQueue (a long poll through matching, type 'nexus') and the two answers. As in
 * Temporal's frontend and matching engine: a token that does not decode, or that names another
 * namespace than the request, is INVALID_ARGUMENT; one for a task nobody waits for any more
 * (answered, timed out, canceled) is NOT_FOUND.
 */
export function nexusTaskRpcHandlers(deps: NexusTaskHandlerDeps): RpcHandlerSet {
  const { dispatcher, matching, namespaces, clock } = deps;

  const tokenFor = async (req: { namespace?: string | null; taskToken?: Uint8Array | null }): Promise<NexusTaskToken> => {
    const token = decodeNexusTaskToken(req.taskToken);
    // Another namespace, or one that does not exist: INVALID_ARGUMENT, as for every task token.
    await checkTokenNamespace(namespaces, req.namespace, token.namespaceId);
    return token;
  };

  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async PollNexusTaskQueue(req: PollRequest, call: RpcCallContext): Promise<PollResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const taskQueue = req.taskQueue?.name ?? '';
        if (!taskQueue) throw new InvalidArgumentError('task_queue', 'TaskQueue is not set on request.');
        // Workers may send their heartbeat with the Nexus poll instead of RecordWorkerHeartbeat.
        const heartbeats = (req.workerHeartbeat ?? []).filter((hb) => hb.workerInstanceKey);
        if (heartbeats.length > 0) matching.recordWorkerHeartbeat(namespaceId, heartbeats.map((hb) => heartbeatFromProto(hb, clock.now())));
        let claimed: PendingNexusTask | undefined;
        const task = await matching.poll(
          {
            namespaceId,
            taskQueue: { name: taskQueue, kind: 'normal' },
            type: 'nexus',
            identity: req.identity ?? '',
            ...(req.workerInstanceKey ? { workerInstanceKey: req.workerInstanceKey } : {}),
            // The caller may have given up between the match and now: then the task is stale
            // and this poll keeps waiting for the next one.
            accept: async (t) => {
              const id = decodeNexusTaskPayload(t.payload);
              claimed = id === undefined ? undefined : dispatcher.claim(id, namespaceId, taskQueue);
              return claimed ? 'accepted' : 'stale';
            },
          },
          call.signal,
          call.deadline,
        );
        // Core reads "no task" only from an entirely default response.
        if (!task || !claimed) return {};
        return {
          taskToken: encodeNexusTaskToken({ namespaceId, taskQueue, taskId: claimed.taskId }),
          request: withRequestTimeout(claimed.request, claimed.deadline.getTime() - clock.now().getTime()),
        };
      },

      async RespondNexusTaskCompleted(req: CompletedRequest): Promise<object> {
        const token = await tokenFor(req);
        if (!req.response) throw new InvalidArgumentError('response', 'Response is not set on request.');
        dispatcher.respond(token, { outcome: 'completed', response: req.response, identity: req.identity ?? '' });
        return {};
      },

      async RespondNexusTaskFailed(req: FailedRequest): Promise<object> {
        const token = await tokenFor(req);
        if (!req.failure && !req.error) throw new InvalidArgumentError('failure', 'Failure is not set on request.');
        dispatcher.respond(token, {
          outcome: 'failed',
          ...(req.error ? { error: req.error } : {}),
          ...(req.failure ? { failure: req.failure } : {}),
          identity: req.identity ?? '',
        });
        return {};
      },
    },
  };
}

/**
 * The request as the worker sees it: the caller's, plus `request-timeout` = the time left until
 * the caller's deadline (Temporal's matching engine sets it on every poll response).
 */
function withRequestTimeout(r: temporal.api.nexus.v1.IRequest, remainingMs: number): temporal.api.nexus.v1.IRequest {
  return {
    header: { ...(r.header ?? {}), [REQUEST_TIMEOUT_HEADER]: `${Math.max(0, Math.floor(remainingMs))}ms` },
    ...(r.scheduledTime ? { scheduledTime: r.scheduledTime } : {}),
    ...(r.capabilities ? { capabilities: r.capabilities } : {}),
    ...(r.startOperation ? { startOperation: r.startOperation } : {}),
    ...(r.cancelOperation ? { cancelOperation: r.cancelOperation } : {}),
    ...(r.endpoint ? { endpoint: r.endpoint } : {}),
  };
}
