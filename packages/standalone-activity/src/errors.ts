import { ChasmError, ErrorCode, NotFoundError } from '@chasm/core';

/** `activity not found for ID: X`, the text Temporal's engine uses. */
export class ActivityNotFoundError extends NotFoundError {
  constructor(activityId: string) {
    super(`activity not found for ID: ${activityId}`, { activityId });
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
