import type { AddTaskRequest, AddTaskResult, PolledTask, PollerReservation, PollRequest, ReservePollerRequest, TaskType } from './types.js';
import type { TaskQueueConfig, TaskQueueConfigUpdate } from './queue/task-queue-config.js';
import type { WorkerHeartbeatRecord, WorkerListQuery } from './workers/worker-registry.js';

/** DI token for the `MatchingService`. */
export const MATCHING = Symbol.for('chasm/Matching');

export interface PollerInfo {
  readonly identity: string;
  readonly lastAccessTime: Date;
  readonly ratePerSecond?: number;
}

export type RateLimitSource = 'api' | 'worker' | 'system';

export interface TaskQueueDescription {
  readonly pollers: readonly PollerInfo[];
  readonly stats: TaskQueueStats;
  readonly statsByPriorityKey: ReadonlyMap<number, TaskQueueStats>;
  readonly config: TaskQueueConfig;
  readonly effectiveRateLimit: { readonly requestsPerSecond: number; readonly source: RateLimitSource };
}

export interface TaskQueueStats {
  readonly approximateBacklogCount: number;
  /** Age of the oldest queued task, in milliseconds (0 when empty). */
  readonly approximateBacklogAgeMs: number;
  /** Tasks per second over the last 30 s. */
  readonly tasksAddRate: number;
  readonly tasksDispatchRate: number;
  readonly rateLimitingActive: boolean;
}

export interface TaskQueueId {
  readonly namespaceId: string;
  readonly name: string;
  readonly type: TaskType;
}

/**
 * Task delivery. In-process today; in a cluster the same calls are routed to the queue's owner,
 * which is why everything here is plain data (payloads are opaque bytes).
 */
export interface MatchingService {
  /**
   * Hands the task to a waiting poller (sync match) or queues it, and resolves only after one
   * of the two happened; with `syncOnlyUntil`, only a sync match counts and the call waits for a
   * poller until then (outcome `'expired'` otherwise). Sticky queues reject with `StickyWorkerUnavailableError` when no poller
   * was seen for 10 s: the caller then adds to the normal queue.
   */
  addTask(req: AddTaskRequest): Promise<AddTaskResult>;
  /**
   * Long poll. Resolves with a task, or `undefined` about 1 s before `deadline` (at most ~60 s),
   * or at once when `signal` aborts (client gone). Never rejects on timeout.
   */
  poll(req: PollRequest, signal: AbortSignal, deadline?: Date): Promise<PolledTask | undefined>;
  /**
   * Takes a poller waiting on the queue right now, for a task the caller will start in its own
   * commit and then deliver: the hand-off then costs no commit of its own, and the poller gets
   * the task as soon as that commit is durable. Undefined when no poller waits (the queue is not
   * even loaded for this), a backlog task of the same or a better priority waits (it goes
   * first, as for a sync match), the rate limit says no, or every waiting poll is about to end.
   */
  reservePoller(req: ReservePollerRequest): Promise<PollerReservation | undefined>;
  /** Sticky queues are described only while loaded (empty otherwise). */
  describeTaskQueue(id: TaskQueueId & { readonly kind?: 'normal' | 'sticky' }): Promise<TaskQueueDescription>;
  getTaskQueueConfig(id: TaskQueueId): Promise<TaskQueueConfig>;
  updateTaskQueueConfig(id: TaskQueueId, update: TaskQueueConfigUpdate): Promise<TaskQueueConfig>;
  recordWorkerHeartbeat(namespaceId: string, heartbeats: readonly WorkerHeartbeatRecord[]): void;
  listWorkers(namespaceId: string, query: WorkerListQuery): readonly WorkerHeartbeatRecord[];
  /** Undefined when no heartbeat from that worker is known. */
  describeWorker(namespaceId: string, workerInstanceKey: string): WorkerHeartbeatRecord | undefined;
  /**
   * A worker is going away: its outstanding polls on `stickyQueue` return empty, the sticky queue
   * is unloaded (adds fail over to the normal queue at once), and its heartbeat is dropped.
   */
  shutdownWorker(req: {
    readonly namespaceId: string;
    readonly stickyQueue?: string;
    readonly identity?: string;
    readonly workerInstanceKey?: string;
  }): Promise<void>;
}
