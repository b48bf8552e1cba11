import { ChasmError, ErrorCode, NotFoundError } from '@chasm/core';

/** `activity not found for ID: X`, the text Temporal's engine uses. */
export class ActivityNotFoundError extends NotFoundError {
  constructor(activityId: string) {
    super(`activity not found for ID: ${activityId}`, { activityId });
  }
}

/** Runs `fn`; the engine's "execution not found" becomes Temporal's `activity not found for ID: X`. */
export async function forActivity<T>(activityId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (ChasmError.is(e) && e.code === ErrorCode.NotFound && e.message.startsWith('execution not found')) throw new ActivityNotFoundError(activityId);
    throw e;
  }
}

/**
 * A running activity already has this id (conflict policy FAIL, or reuse policy refuses). Carries
 * ActivityExecutionAlreadyStartedFailure so the SDK raises ActivityExecutionAlreadyStartedError.
 */
export class ActivityExecutionAlreadyStartedError extends ChasmError {
  constructor(activityId: string, runId: string, startRequestId: string) {
    super(ErrorCode.AlreadyExists, `activity execution already started: ${activityId}`, {
      currentRunId: runId,
      currentRequestId: startRequestId,
      statusDetail: {
        type: 'temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure',
        value: { startRequestId, runId },
      },
    });
  }
}

/** Operator commands switched off by configuration. */
export class OperatorCommandsDisabledError extends ChasmError {
  constructor() {
    super(ErrorCode.Unimplemented, 'Standalone activity operator commands are disabled');
  }
}
