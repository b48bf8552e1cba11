import { ChasmError, ErrorCode, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@chasm/core';

/**
 * The package's typed errors. Messages follow Temporal's wording where a client might match on
 * them; the runtime maps each code to one gRPC status.
 */

/** Create or rename to a name another endpoint holds (names are unique cluster-wide). */
export class EndpointNameTakenError extends ChasmError {
  constructor(readonly endpointName: string) {
    super(ErrorCode.AlreadyExists, `error creating Nexus endpoint. Endpoint with name ${endpointName} already registered`, { name: endpointName });
  }
}

/** Get, update or delete of an id the registry does not hold. */
export class EndpointNotFoundError extends NotFoundError {
  constructor(readonly endpointId: string) {
    super(`Nexus endpoint not found for ID: ${endpointId}`, { endpointId });
  }
}

/** Update or delete with a version that is not the endpoint's current one (a lost race, or a stale read). */
export class EndpointVersionMismatchError extends FailedPreconditionError {
  constructor(
    readonly received: number,
    readonly expected: number,
  ) {
    super(`nexus endpoint version mismatch. received: ${received} expected ${expected}`, { received, expected });
  }
}

/**
 * A bad request field. The message always starts with `<field>: ` (InvalidArgumentError adds the
 * prefix only when the message does not already mention the field, which a value such as
 * `not-a-uuid` can do by accident).
 */
export function invalidField(field: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(field, `${field}: ${message}`);
}

/**
 * An answer (RespondNexusTaskCompleted/Failed) for a task nobody waits for any more: already
 * answered, timed out, canceled, or from before a restart. Temporal's wording.
 */
export class NexusTaskNotFoundError extends NotFoundError {
  constructor(readonly taskId: string) {
    super('Nexus task not found or already expired', { taskId });
  }
}

/**
 * A running standalone operation already has this id (conflict policy FAIL, or the reuse policy
 * refuses). Carries NexusOperationExecutionAlreadyStartedFailure for the SDK.
 */
export class NexusOperationAlreadyStartedError extends ChasmError {
  constructor(operationId: string, runId: string, startRequestId: string) {
    super(ErrorCode.AlreadyExists, `nexus operation execution already started: ${operationId}`, {
      currentRunId: runId,
      currentRequestId: startRequestId,
      statusDetail: { type: 'temporal.api.errordetails.v1.NexusOperationExecutionAlreadyStartedFailure', value: { startRequestId, runId } },
    });
  }
}
