import { ChasmError, ErrorCode } from '@chasm/core';

/**
 * The sticky queue's worker has not polled recently (or the queue is not loaded). Internal:
 * the caller (workflow feature) re-adds the task to the normal queue.
 */
export class StickyWorkerUnavailableError extends ChasmError {
  constructor(readonly taskQueue: string) {
    super(ErrorCode.Unavailable, `sticky worker unavailable for task queue ${taskQueue}`, {
      taskQueue,
      reason: 'STICKY_WORKER_UNAVAILABLE',
    });
  }
}

/** Another owner took the queue (its range id moved on). This node must stop writing to it. */
export class TaskQueueOwnershipLostError extends ChasmError {
  constructor(
    readonly taskQueue: string,
    readonly rangeId: number,
  ) {
    super(ErrorCode.Unavailable, `task queue ${taskQueue} ownership lost (range id ${rangeId} superseded)`, {
      taskQueue,
      rangeId,
    });
  }
}

/** The matching service is stopping; callers retry against the next owner. */
export class MatchingStoppedError extends ChasmError {
  constructor() {
    super(ErrorCode.Unavailable, 'matching service is stopping');
  }
}
