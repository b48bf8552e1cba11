/** The kinds of task a queue carries. Each (namespace, name, type) is its own queue. */
export type TaskType = 'workflow' | 'activity' | 'nexus';

/**
 * Which queue. A sticky queue belongs to one worker process (`<identity>-<uuid>`); `normalName`
 * is the queue the worker also polls, where callers fall back when the sticky worker is gone.
 */
export interface TaskQueueRef {
  readonly name: string;
  readonly kind: 'normal' | 'sticky';
  readonly normalName?: string;
}

/** Scheduling hints, as in temporal.api.common.v1.Priority. Unset fields take the defaults. */
export interface TaskPriority {
  /** 1 (first) .. 5 (last); 0 or unset means 3; values above 5 clip to 5. */
  readonly priorityKey?: number;
  /** At most 64 bytes (UTF-8); empty means "the default key". */
  readonly fairnessKey?: string;
  /** In [0.001, 1000]; 0 or unset means 1. A queue-level override for the key wins. */
  readonly fairnessWeight?: number;
}

export interface AddTaskRequest {
  readonly namespaceId: string;
  readonly taskQueue: TaskQueueRef;
  readonly type: TaskType;
  /** Opaque to matching: the feature's task info (e.g. an encoded component ref). */
  readonly payload: Uint8Array;
  readonly priority?: TaskPriority;
  /** After this instant the task is dropped instead of dispatched (schedule-to-start). */
  readonly scheduleToStartExpiry?: Date;
  /**
   * Sync match only (Nexus tasks): wait for a poller until this instant and report `'expired'`
   * if none took the task, never writing it to the backlog. The caller is waiting for the task's
   * answer with this deadline, so a task a worker could only see later would be useless.
   */
  readonly syncOnlyUntil?: Date;
}

export type AddTaskOutcome =
  /** A waiting poller took it (and accepted it, when the poll has an accept hook). No DB write. */
  | 'sync-matched'
  /** Durable in the backlog (normal queues), or queued in memory (sticky queues, see ADR 0003). */
  | 'spooled'
  /**
   * Already past its schedule-to-start expiry, or the accept hook found it stale: nothing to
   * deliver.
   */
  | 'dropped'
  /** `syncOnlyUntil` passed (or the queue closed) before a poller took it. Nothing was stored. */
  | 'expired';

export interface AddTaskResult {
  readonly outcome: AddTaskOutcome;
}

/** A task handed to a poller. */
export interface PolledTask {
  readonly namespaceId: string;
  readonly taskQueue: TaskQueueRef;
  readonly type: TaskType;
  readonly payload: Uint8Array;
  /** Effective scheduling values (defaults applied). */
  readonly priority: { readonly priorityKey: number; readonly fairnessKey: string; readonly fairnessWeight: number };
  /** Queue-local id: backlog tasks carry their durable id, sync-matched tasks a transient one. */
  readonly taskId: number;
  readonly createdAt: Date;
  readonly scheduleToStartExpiry?: Date;
  /** True when the task never touched the backlog. */
  readonly syncMatched: boolean;
  /** Tasks still queued behind this one (a scaling hint, not a durable count). */
  readonly backlogCountHint: number;
  /**
   * Set only on a task handed to a reserved poller (`PollerReservation.deliver`): the caller
   * already started it in its own commit, and this is the poll's answer it prepared, opaque to
   * matching. No accept hook runs for such a task.
   */
  readonly prepared?: unknown;
}

/** A poller to take for a task the caller is about to start itself (`MatchingService.reservePoller`). */
export interface ReservePollerRequest {
  readonly namespaceId: string;
  readonly taskQueue: TaskQueueRef;
  readonly type: TaskType;
  /** The task's priority: a poller is reserved only when no backlog task of this or a better priority waits. */
  readonly priority?: TaskPriority;
}

/**
 * A poller waiting on a queue, taken out of the line without a task. The caller starts its task
 * in its own transaction for this poller (identity), then `deliver`s it after the commit, or
 * `release`s the poller unused. Exactly one of the two must follow.
 */
export interface PollerReservation {
  /** The polling worker's identity. */
  readonly identity: string;
  /** The polling worker's SDK, as its poll named it (`PollRequest.client`). */
  readonly client?: PollerClient;
  /** False once the poll ended (client gone, queue closed): a task started for it would not arrive. */
  readonly alive: boolean;
  /**
   * Answers the poll with the prepared task. False when the poll ended meanwhile: nothing was
   * handed over, and the started task is left to its start-to-close timeout.
   */
  deliver(task: { readonly payload: Uint8Array; readonly prepared: unknown }): boolean;
  /** Puts the poller back at the head of the line, unused. */
  release(): void;
}

/**
 * What the feature's accept hook says about a matched task:
 * - `accepted`: the feature recorded it as started; matching forgets it.
 * - `stale`: the task no longer applies (component gone, already started); matching drops it and
 *   the poll keeps waiting for another task.
 * Throwing means "could not decide now": matching puts the task back (sync match falls back to
 * the backlog) and the poll rejects with that error.
 */
export type AcceptResult = 'accepted' | 'stale';

/** The SDK a poll came from: a reserver records it where an accept hook would (e.g. an activity's sdk_name). */
export interface PollerClient {
  readonly name: string;
  readonly version: string;
}

export interface PollRequest {
  readonly namespaceId: string;
  readonly taskQueue: TaskQueueRef;
  readonly type: TaskType;
  /** The worker's identity, as shown in DescribeTaskQueue. */
  readonly identity: string;
  /** Worker-supplied max dispatch rate (TaskQueueMetadata.max_tasks_per_second). */
  readonly ratePerSecond?: number;
  readonly workerInstanceKey?: string;
  /** The polling SDK (`client-name` / `client-version` headers), handed to a reserver with the poller. */
  readonly client?: PollerClient;
  /**
   * Called with the matched task before `poll` resolves; the feature records "started" here.
   * Without it, handing the task over counts as accepted.
   */
  readonly accept?: (task: PolledTask) => Promise<AcceptResult>;
}
