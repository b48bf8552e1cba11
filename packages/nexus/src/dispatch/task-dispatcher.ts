import { randomUUID } from 'node:crypto';
import type { Clock, ServiceLifecycle } from '@chasm/core';
import type { MatchingService } from '@chasm/matching';
import type { Logger } from 'pino';
import { NexusTaskNotFoundError } from '../errors.js';
import type { DispatchOutcome, NexusMetrics } from '../metrics.js';
import type { temporal } from '../proto.js';
import type { DispatchRequest, NexusDispatcher, NexusTaskResult } from './nexus-dispatcher.js';
import { PendingNexusTasks, type PendingNexusTask } from './pending-tasks.js';
import { encodeNexusTaskPayload } from './task-payload.js';
import type { NexusTaskToken } from './task-token.js';

export interface NexusTaskDispatcherDeps {
  readonly matching: MatchingService;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: NexusMetrics;
  /**
   * True when the target namespace was deleted (ADR 0036): an endpoint outlives its target
   * namespace (Temporal keeps endpoints), and its requests then fail NOT_FOUND, as Temporal's,
   * instead of reaching matching under the old namespace id. Absent: every target is live.
   */
  readonly namespaceGone?: (namespaceId: string) => Promise<boolean>;
}

/** An answer from the worker, as the Respond RPCs hand it over. */
export type WorkerAnswer = Extract<NexusTaskResult, { outcome: 'completed' | 'failed' }>;

/**
 * The `NexusDispatcher` over matching (Temporal's matching `DispatchNexusTask`): the task is
 * offered with `syncOnlyUntil` = the caller's deadline, so it reaches a worker only by sync match
 * and is never written to the backlog; the caller waits on an in-memory entry that the worker's
 * RespondNexusTask{Completed,Failed} settles. Also the lifecycle that releases waiting callers
 * when the node stops.
 */
export class NexusTaskDispatcher implements NexusDispatcher, ServiceLifecycle {
  readonly name = 'nexus-dispatcher';
  readonly #pending = new PendingNexusTasks();

  constructor(private readonly deps: NexusTaskDispatcherDeps) {}

  async start(): Promise<void> {}

  /** Callers waiting now get `canceled`: nobody will answer them after this node stops. */
  async stop(): Promise<void> {
    for (const t of this.#pending.all()) t.settle({ outcome: 'canceled' });
  }

  /** Tasks whose callers are waiting (for tests and debugging). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  dispatch(req: DispatchRequest): Promise<NexusTaskResult> {
    const gone = this.deps.namespaceGone;
    if (!gone) return this.#dispatch(req);
    return gone(req.namespaceId).then(
      (isGone): Promise<NexusTaskResult> | NexusTaskResult =>
        isGone ? { outcome: 'failed', error: { errorType: 'NOT_FOUND', failure: { message: `namespace ${req.namespaceId} not found` } }, identity: '' } : this.#dispatch(req),
    );
  }

  #dispatch(req: DispatchRequest): Promise<NexusTaskResult> {
    const { matching, clock } = this.deps;
    const startedMs = clock.now().getTime();
    const taskId = randomUUID();
    return new Promise<NexusTaskResult>((resolve, reject) => {
      let done = false;
      const finish = (outcome: DispatchOutcome, extra: Record<string, unknown>): void => {
        done = true;
        this.#pending.delete(taskId);
        cancelTimer();
        req.signal?.removeEventListener('abort', onAbort);
        this.#record(req, taskId, outcome, startedMs, extra);
      };
      const task: PendingNexusTask = {
        taskId,
        namespaceId: req.namespaceId,
        taskQueue: req.taskQueue,
        request: req.request,
        deadline: req.deadline,
        state: 'offered',
        settle: (result) => {
          if (done) return;
          finish(outcomeOf(result), detailsOf(result));
          resolve(result);
        },
      };
      const onAbort = (): void => task.settle({ outcome: 'canceled' });
      // Temporal's caller-side context deadline: the task is gone for everyone at this instant,
      // whether or not a worker took it (a late answer is NOT_FOUND).
      const cancelTimer = clock.schedule(req.deadline, () =>
        task.settle({ outcome: 'timeout', stage: task.state === 'offered' ? 'no-poller' : 'no-response' }),
      );
      if (req.signal?.aborted) {
        onAbort();
        return;
      }
      req.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.add(task);
      matching
        .addTask({
          namespaceId: req.namespaceId,
          taskQueue: { name: req.taskQueue, kind: 'normal' },
          type: 'nexus',
          payload: encodeNexusTaskPayload(taskId),
          syncOnlyUntil: req.deadline,
        })
        .then(
          (r) => {
            // 'sync-matched': a worker has it, its answer settles the task. 'dropped': the poll
            // found it gone (settled meanwhile). 'expired': no poller before the deadline.
            if (r.outcome === 'expired' || r.outcome === 'spooled') task.settle({ outcome: 'timeout', stage: 'no-poller' });
          },
          (e: unknown) => {
            if (done) return;
            finish('error', { err: e });
            reject(e);
          },
        );
    });
  }

  /**
   * A poller matched the task: the request to hand it, once. Undefined when the caller is gone
   * or the task is not this poll's (matching then drops it and the poll keeps waiting).
   */
  claim(taskId: string, namespaceId: string, taskQueue: string): PendingNexusTask | undefined {
    return this.#pending.claim(taskId, namespaceId, taskQueue, this.deps.clock.now());
  }

  /** The worker's answer settles its caller; NOT_FOUND when nobody waits for it any more. */
  respond(token: NexusTaskToken, answer: WorkerAnswer): void {
    const t = this.#pending.answerable(token.taskId, token.namespaceId, token.taskQueue);
    if (!t) throw new NexusTaskNotFoundError(token.taskId);
    t.settle(answer);
  }

  #record(req: DispatchRequest, taskId: string, outcome: DispatchOutcome, startedMs: number, extra: Record<string, unknown>): void {
    const { metrics, logger, clock } = this.deps;
    metrics.dispatches.inc({ outcome });
    metrics.dispatchLatency.observe({ outcome }, Math.max(0, clock.now().getTime() - startedMs) / 1000);
    if (outcome === 'completed' || outcome === 'canceled') return;
    // One line per failure, with what identifies the call and never the payloads.
    const op = req.request.startOperation ?? req.request.cancelOperation;
    logger.warn(
      {
        namespaceId: req.namespaceId,
        taskQueue: req.taskQueue,
        taskId,
        kind: req.request.startOperation ? 'start' : 'cancel',
        service: op?.service ?? '',
        operation: op?.operation ?? '',
        outcome,
        ...extra,
      },
      'nexus task failed',
    );
  }
}

function outcomeOf(r: NexusTaskResult): DispatchOutcome {
  switch (r.outcome) {
    case 'completed': {
      const start = r.response.startOperation;
      return start?.failure || start?.operationError ? 'operation_error' : 'completed';
    }
    case 'failed':
      return 'handler_error';
    default:
      return r.outcome;
  }
}

/** What the failure log line says about a result: types and stages, no messages or payloads. */
function detailsOf(r: NexusTaskResult): Record<string, unknown> {
  switch (r.outcome) {
    case 'timeout':
      return { stage: r.stage };
    case 'failed':
      return { identity: r.identity, errorType: handlerErrorType(r.error, r.failure) };
    case 'completed': {
      const start = r.response.startOperation;
      if (start?.failure) return { identity: r.identity, failureType: start.failure.applicationFailureInfo?.type ?? (start.failure.canceledFailureInfo ? 'canceled' : '') };
      if (start?.operationError) return { identity: r.identity, operationState: start.operationError.operationState ?? '' };
      return {};
    }
    default:
      return {};
  }
}

function handlerErrorType(error: temporal.api.nexus.v1.IHandlerError | undefined, failure: temporal.api.failure.v1.IFailure | undefined): string {
  return failure?.nexusHandlerFailureInfo?.type ?? error?.errorType ?? '';
}
