import { InvalidArgumentError, type Clock, type Database, type ServiceLifecycle } from '@chasm/core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BacklogStore } from './backlog/backlog-store.js';
import { MatchingStoppedError, StickyWorkerUnavailableError } from './errors.js';
import { DEFAULT_MATCHING_OPTIONS, type MatchingOptions } from './matching-options.js';
import type { MatchingService, TaskQueueDescription, TaskQueueId } from './matching-service.js';
import { createMatchingMetrics, type MatchingMetrics } from './metrics.js';
import { effectivePriority } from './priority.js';
import { applyConfigUpdate, EMPTY_CONFIG, type TaskQueueConfig, type TaskQueueConfigUpdate } from './queue/task-queue-config.js';
import { TaskQueue } from './queue/task-queue.js';
import type { AddTaskRequest, AddTaskResult, PolledTask, PollerReservation, PollRequest, ReservePollerRequest, TaskQueueRef, TaskType } from './types.js';
import { WorkerRegistry, type WorkerHeartbeatRecord, type WorkerListQuery } from './workers/worker-registry.js';

const TASK_TYPES: ReadonlySet<string> = new Set<TaskType>(['workflow', 'activity', 'nexus']);
const MAX_NAME_LENGTH = 1000;

/**
 * The single-node MatchingService: this process owns every queue it touches. Durable queues are
 * loaded lazily on first use (taking ownership bumps the queue's range id); sticky queues live in
 * memory and are created by their worker's first poll.
 */
export class LocalMatchingService implements MatchingService, ServiceLifecycle {
  readonly name = 'matching';
  readonly #queues = new Map<string, Promise<TaskQueue>>();
  readonly #store: BacklogStore;
  readonly #metrics: MatchingMetrics;
  readonly #options: MatchingOptions;
  readonly #workers: WorkerRegistry;
  #stopped = false;
  #sweep: (() => void) | undefined;

  constructor(
    database: Database,
    private readonly clock: Clock,
    private readonly logger: Logger,
    metrics: Registry,
    options: Partial<MatchingOptions> = {},
  ) {
    this.#store = new BacklogStore(database.db);
    this.#metrics = createMatchingMetrics(metrics);
    this.#options = { ...DEFAULT_MATCHING_OPTIONS, ...options };
    this.#workers = new WorkerRegistry(5 * 60_000, 1_000_000);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#armSweep();
  }

  /** Releases every poller (empty answers), lets appends in flight finish, flushes acks. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sweep?.();
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((p) => p.then((q) => q.close()).catch(() => undefined)));
  }

  async addTask(req: AddTaskRequest): Promise<AddTaskResult> {
    this.#assertRunning();
    const id = validateId(req.namespaceId, req.taskQueue, req.type);
    const priority = effectivePriority(req.priority);
    const task = { payload: req.payload, priority, expiry: req.scheduleToStartExpiry };
    if (req.taskQueue.kind === 'sticky') {
      // Never create a sticky queue on add: only its worker's poll does (Temporal's rule).
      const q = await this.#queues.get(this.#key(id, 'sticky'))?.catch(() => undefined);
      if (!q || q.closed || !q.hasRecentPoller(this.#options.stickyPollerUnavailableMs)) {
        throw new StickyWorkerUnavailableError(req.taskQueue.name);
      }
      return q.add(task, req.syncOnlyUntil);
    }
    return (await this.#queue(id, req.taskQueue)).add(task, req.syncOnlyUntil);
  }

  async poll(req: PollRequest, signal: AbortSignal, deadline?: Date): Promise<PolledTask | undefined> {
    if (this.#stopped) return undefined;
    const id = validateId(req.namespaceId, req.taskQueue, req.type);
    const q = await this.#queue(id, req.taskQueue);
    return q.poll(req, signal, deadline);
  }

  async reservePoller(req: ReservePollerRequest): Promise<PollerReservation | undefined> {
    if (this.#stopped) return undefined;
    const id = validateId(req.namespaceId, req.taskQueue, req.type);
    // Only a loaded queue can have a poller waiting: never load (or create a sticky) one for this.
    const q = await this.#queues.get(this.#key(id, req.taskQueue.kind))?.catch(() => undefined);
    if (!q || q.closed) return undefined;
    return q.reserve(effectivePriority(req.priority));
  }

  async describeTaskQueue(id: TaskQueueId & { readonly kind?: 'normal' | 'sticky' }): Promise<TaskQueueDescription> {
    this.#assertRunning();
    const kind = id.kind ?? 'normal';
    validateId(id.namespaceId, { name: id.name, kind }, id.type);
    if (kind === 'sticky') {
      const q = await this.#queues.get(this.#key(id, 'sticky'))?.catch(() => undefined);
      return q?.describe() ?? emptyDescription(this.#options.systemRateLimit);
    }
    return (await this.#queue(id, { name: id.name, kind })).describe();
  }

  async getTaskQueueConfig(id: TaskQueueId): Promise<TaskQueueConfig> {
    this.#assertRunning();
    validateId(id.namespaceId, { name: id.name, kind: 'normal' }, id.type);
    return (await this.#queue(id, { name: id.name, kind: 'normal' })).config;
  }

  async updateTaskQueueConfig(id: TaskQueueId, update: TaskQueueConfigUpdate): Promise<TaskQueueConfig> {
    this.#assertRunning();
    validateId(id.namespaceId, { name: id.name, kind: 'normal' }, id.type);
    const q = await this.#queue(id, { name: id.name, kind: 'normal' });
    const next = applyConfigUpdate(q.config, update, this.clock.now());
    await q.updateConfig(next);
    return next;
  }

  recordWorkerHeartbeat(namespaceId: string, heartbeats: readonly WorkerHeartbeatRecord[]): void {
    for (const hb of heartbeats) {
      if (!hb.workerInstanceKey) throw new InvalidArgumentError('worker_heartbeat.worker_instance_key', 'is required');
      this.#workers.record(namespaceId, hb);
    }
  }

  listWorkers(namespaceId: string, query: WorkerListQuery): readonly WorkerHeartbeatRecord[] {
    return this.#workers.list(namespaceId, query, this.clock.now());
  }

  describeWorker(namespaceId: string, workerInstanceKey: string): WorkerHeartbeatRecord | undefined {
    return this.#workers.get(namespaceId, workerInstanceKey, this.clock.now());
  }

  async shutdownWorker(req: {
    readonly namespaceId: string;
    readonly stickyQueue?: string;
    readonly identity?: string;
    readonly workerInstanceKey?: string;
  }): Promise<void> {
    if (req.workerInstanceKey) this.#workers.remove(req.namespaceId, req.workerInstanceKey);
    if (!req.stickyQueue) return;
    const key = this.#key({ namespaceId: req.namespaceId, name: req.stickyQueue, type: 'workflow' }, 'sticky');
    const p = this.#queues.get(key);
    if (!p) return;
    this.#queues.delete(key);
    const q = await p.catch(() => undefined);
    // Its polls answer empty; adds now fail over to the normal queue at once.
    await q?.close();
  }

  /**
   * A deleted namespace's part of matching (its NamespacePurgeStep): unloads its queues (their
   * pollers get empty answers), forgets its workers, then deletes up to `limit` of its rows.
   * Returns the rows deleted; 0 when none is left. Idempotent.
   */
  async purgeNamespace(namespaceId: string, limit: number): Promise<number> {
    const prefix = `${namespaceId}\u0000`;
    const loaded: Promise<TaskQueue>[] = [];
    for (const [key, p] of this.#queues) {
      if (!key.startsWith(prefix)) continue;
      this.#queues.delete(key);
      loaded.push(p);
    }
    await Promise.all(loaded.map((p) => p.then((q) => q.close()).catch(() => undefined)));
    this.#workers.removeNamespace(namespaceId);
    return this.#store.purgeNamespace(namespaceId, limit);
  }

  async #queue(id: TaskQueueId, ref: TaskQueueRef): Promise<TaskQueue> {
    const key = this.#key(id, ref.kind);
    for (;;) {
      this.#assertRunning();
      let p = this.#queues.get(key);
      if (!p) {
        p = this.#load(id, ref);
        this.#queues.set(key, p);
        const loading = p;
        p.catch(() => {
          if (this.#queues.get(key) === loading) this.#queues.delete(key);
        });
      }
      const q = await p;
      if (!q.closed) return q;
      // Unloaded (ownership lost): drop it and load again, which takes the range back.
      if (this.#queues.get(key) === p) this.#queues.delete(key);
    }
  }

  async #load(id: TaskQueueId, ref: TaskQueueRef): Promise<TaskQueue> {
    const deps = {
      clock: this.clock,
      logger: this.logger,
      metrics: this.#metrics,
      options: this.#options,
      onUnload: (q: TaskQueue): void => {
        const key = this.#key(q.id, q.ref.kind);
        void this.#queues.get(key)?.then((cur) => cur === q && this.#queues.delete(key));
      },
    };
    if (ref.kind === 'sticky') return new TaskQueue(id, ref, 0, EMPTY_CONFIG, undefined, deps);
    const { rangeId, config } = await this.#store.acquire(id);
    const summary = await this.#store.summary(id);
    const q = new TaskQueue(id, { name: id.name, kind: 'normal' }, rangeId, config ?? EMPTY_CONFIG, this.#store, deps);
    q.resume(summary);
    this.logger.debug({ taskQueue: id.name, type: id.type, rangeId }, 'task queue loaded');
    return q;
  }

  /** Sticky queues whose worker is gone for a while are unloaded (their tasks time out upstream). */
  #armSweep(): void {
    this.#sweep = this.clock.schedule(new Date(this.clock.now().getTime() + 60_000), () => {
      if (this.#stopped) return;
      for (const [key, p] of this.#queues) {
        void p.then((q) => {
          if (q.ref.kind === 'sticky' && !q.hasRecentPoller(this.#options.stickyIdleUnloadMs)) {
            if (this.#queues.get(key) === p) this.#queues.delete(key);
            void q.close();
          }
        }, () => undefined);
      }
      this.#armSweep();
    });
  }

  #key(id: TaskQueueId, kind: 'normal' | 'sticky'): string {
    return `${id.namespaceId}\u0000${id.type}\u0000${kind}\u0000${id.name}`;
  }

  #assertRunning(): void {
    if (this.#stopped) throw new MatchingStoppedError();
  }
}

function validateId(namespaceId: string, ref: TaskQueueRef, type: string): TaskQueueId {
  if (!namespaceId) throw new InvalidArgumentError('namespace', 'is required');
  if (!ref.name) throw new InvalidArgumentError('task_queue.name', 'is required');
  if (ref.name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError('task_queue.name', `must be at most ${MAX_NAME_LENGTH} characters`);
  }
  // No store keeps a NUL in text: refused here, not as an INTERNAL from the database.
  if (ref.name.includes('\u0000')) throw new InvalidArgumentError('task_queue.name', 'contains a NUL character');
  // Reserved for partition names (Temporal's /_sys/<name>/<k>).
  if (ref.name.startsWith('/_sys/')) throw new InvalidArgumentError('task_queue.name', 'must not start with /_sys/');
  if (!TASK_TYPES.has(type)) throw new InvalidArgumentError('task_queue_type', `unknown task type ${type}`);
  return { namespaceId, name: ref.name, type: type as TaskType };
}

function emptyDescription(systemRate: number): TaskQueueDescription {
  return {
    pollers: [],
    stats: {
      approximateBacklogCount: 0,
      approximateBacklogAgeMs: 0,
      tasksAddRate: 0,
      tasksDispatchRate: 0,
      rateLimitingActive: false,
    },
    statsByPriorityKey: new Map(),
    config: EMPTY_CONFIG,
    effectiveRateLimit: { requestsPerSecond: systemRate, source: 'system' },
  };
}
