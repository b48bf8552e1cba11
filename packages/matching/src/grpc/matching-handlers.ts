import { hostname } from 'node:os';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  WORKFLOW_SERVICE,
  type Clock,
  type NamespaceResolver,
  type RpcHandlerSet,
} from '@chasm/core';
import type { temporal } from '@temporalio/proto';
import type { MatchingService } from '../matching-service.js';
import type { RateLimitUpdate, TaskQueueConfigUpdate } from '../queue/task-queue-config.js';
import {
  configToProto,
  heartbeatFromProto,
  rateLimitSourceToProto,
  statsToProto,
  TaskQueueKindEnum,
  taskTypeFromProto,
  workerListInfoToProto,
} from './proto-convert.js';
import { long, msToTimestamp } from '../proto/time.js';
import type * as P from './proto-types.js';


const DEFAULT_PAGE_SIZE = 1000;

/** WorkflowService methods matching answers: task queue describe/config, worker registry. */
export function matchingRpcHandlers(matching: MatchingService, namespaces: NamespaceResolver, clock: Clock): RpcHandlerSet {
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      async DescribeTaskQueue(req: P.DescribeTaskQueueRequest): Promise<P.DescribeTaskQueueResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const name = req.taskQueue?.name ?? '';
        if (!name) throw new InvalidArgumentError('task_queue.name', 'is required');
        const kind = req.taskQueue?.kind === TaskQueueKindEnum.STICKY ? 'sticky' : 'normal';
        const d = await matching.describeTaskQueue({ namespaceId, name, type: taskTypeFromProto(req.taskQueueType), kind });
        const byPriority: Record<number, temporal.api.taskqueue.v1.ITaskQueueStats> = {};
        for (const [p, s] of d.statsByPriorityKey) byPriority[p] = statsToProto(s);
        return {
          pollers: d.pollers.map((p) => ({
            identity: p.identity,
            lastAccessTime: msToTimestamp(p.lastAccessTime),
            ratePerSecond: p.ratePerSecond ?? 0,
          })),
          stats: req.reportStats ? statsToProto(d.stats) : null,
          statsByPriorityKey: req.reportStats ? byPriority : {},
          config: req.reportConfig ? configToProto(d.config) : null,
          effectiveRateLimit: {
            requestsPerSecond: d.effectiveRateLimit.requestsPerSecond,
            rateLimitSource: rateLimitSourceToProto(d.effectiveRateLimit.source),
          },
        };
      },

      async UpdateTaskQueueConfig(req: P.UpdateTaskQueueConfigRequest): Promise<P.UpdateTaskQueueConfigResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const name = req.taskQueue ?? '';
        if (!name) throw new InvalidArgumentError('task_queue', 'is required');
        const type = taskTypeFromProto(req.taskQueueType);
        // As in Temporal: dispatch limits apply to activity (and Nexus) queues, never to
        // workflow tasks, which would stall every workflow on the queue.
        if (type === 'workflow' && (req.updateQueueRateLimit || req.updateFairnessKeyRateLimitDefault)) {
          throw new InvalidArgumentError('task_queue_type', 'rate limits cannot be set on workflow task queues');
        }
        const update: TaskQueueConfigUpdate = {
          identity: req.identity ?? '',
          ...rateUpdate('updateQueueRateLimit', req.updateQueueRateLimit),
          ...rateUpdate('updateFairnessKeyRateLimitDefault', req.updateFairnessKeyRateLimitDefault),
          setFairnessWeightOverrides: { ...(req.setFairnessWeightOverrides ?? {}) },
          unsetFairnessWeightOverrides: [...(req.unsetFairnessWeightOverrides ?? [])],
        };
        const config = await matching.updateTaskQueueConfig({ namespaceId, name, type }, update);
        return { config: configToProto(config) };
      },

      async RecordWorkerHeartbeat(req: P.RecordWorkerHeartbeatRequest): Promise<P.RecordWorkerHeartbeatResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const now = clock.now();
        matching.recordWorkerHeartbeat(
          namespaceId,
          (req.workerHeartbeat ?? []).map((hb) => heartbeatFromProto(hb, now)),
        );
        return {};
      },

      async ListWorkers(req: P.ListWorkersRequest): Promise<P.ListWorkersResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const pageSize = req.pageSize && req.pageSize > 0 ? req.pageSize : DEFAULT_PAGE_SIZE;
        const after = req.nextPageToken && req.nextPageToken.length > 0 ? Buffer.from(req.nextPageToken).toString('utf8') : '';
        const all = matching.listWorkers(namespaceId, { query: req.query ?? '' });
        const page = all.filter((w) => w.workerInstanceKey > after).slice(0, pageSize);
        const last = page[page.length - 1];
        const more = last !== undefined && all[all.length - 1] !== last;
        return {
          workersInfo: page.map((w) => ({ workerHeartbeat: w.heartbeat as temporal.api.worker.v1.IWorkerHeartbeat })),
          workers: page.map(workerListInfoToProto),
          nextPageToken: more ? Buffer.from(last.workerInstanceKey, 'utf8') : Buffer.alloc(0),
        };
      },

      async CountWorkers(req: temporal.api.workflowservice.v1.ICountWorkersRequest): Promise<temporal.api.workflowservice.v1.ICountWorkersResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        // Same filter as ListWorkers; this server creates no system workers, so include_system_workers changes nothing.
        return { count: long(matching.listWorkers(namespaceId, { query: req.query ?? '' }).length) };
      },

      async DescribeWorker(req: P.DescribeWorkerRequest): Promise<P.DescribeWorkerResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const key = req.workerInstanceKey ?? '';
        if (!key) throw new InvalidArgumentError('worker_instance_key', 'is required');
        const w = matching.describeWorker(namespaceId, key);
        if (!w) throw new NotFoundError(`worker ${key} not found`, { workerInstanceKey: key });
        return { workerInfo: { workerHeartbeat: w.heartbeat as temporal.api.worker.v1.IWorkerHeartbeat } };
      },

      async ShutdownWorker(req: P.ShutdownWorkerRequest): Promise<P.ShutdownWorkerResponse> {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const key = req.workerInstanceKey || req.workerHeartbeat?.workerInstanceKey || undefined;
        await matching.shutdownWorker({
          namespaceId,
          ...(req.stickyTaskQueue ? { stickyQueue: req.stickyTaskQueue } : {}),
          ...(req.identity ? { identity: req.identity } : {}),
          ...(key ? { workerInstanceKey: key } : {}),
        });
        return {};
      },

      async ListTaskQueuePartitions(req: P.ListTaskQueuePartitionsRequest): Promise<P.ListTaskQueuePartitionsResponse> {
        await namespaces.idOf(req.namespace ?? '');
        const name = req.taskQueue?.name ?? '';
        if (!name) throw new InvalidArgumentError('task_queue.name', 'is required');
        if (req.taskQueue?.kind === TaskQueueKindEnum.STICKY) {
          throw new FailedPreconditionError('sticky task queues have no partitions to list');
        }
        // One partition per queue on this node (see ADR 0003).
        const partition = [{ key: name, ownerHostName: hostname() }];
        return { activityTaskQueuePartitions: partition, workflowTaskQueuePartitions: partition };
      },
    },
  };
}

function rateUpdate(
  field: 'updateQueueRateLimit' | 'updateFairnessKeyRateLimitDefault',
  u: temporal.api.workflowservice.v1.UpdateTaskQueueConfigRequest.IRateLimitUpdate | null | undefined,
): Partial<Record<typeof field, RateLimitUpdate>> {
  if (!u) return {};
  const rps = u.rateLimit ? (u.rateLimit.requestsPerSecond ?? 0) : undefined;
  return { [field]: { ...(rps !== undefined ? { requestsPerSecond: rps } : {}), reason: u.reason ?? '' } };
}
