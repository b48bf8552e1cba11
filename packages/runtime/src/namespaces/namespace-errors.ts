import { ChasmError, ErrorCode, FailedPreconditionError, NotFoundError } from '@chasm/core';

/**
 * The namespace does not exist. Carries `namespace` in its details, which the front door turns
 * into a NamespaceNotFoundFailure (the TS client raises NamespaceNotFoundError from it).
 */
export class NamespaceNotFoundError extends NotFoundError {
  constructor(readonly namespace: string) {
    super(`Namespace ${namespace} is not found.`, { namespace });
  }
}

/** RegisterNamespace with a name that is taken (including by a deprecated namespace). */
export class NamespaceAlreadyExistsError extends ChasmError {
  constructor(readonly namespace: string) {
    super(ErrorCode.AlreadyExists, `Namespace ${namespace} already exists.`, { namespace });
  }
}

/**
 * A new execution in a namespace that is not REGISTERED (i.e. DEPRECATED). Temporal answers
 * FAILED_PRECONDITION with a NamespaceInvalidStateFailure; the message follows its wording.
 */
export class NamespaceInvalidStateError extends FailedPreconditionError {
  constructor(
    readonly namespace: string,
    readonly state: string,
  ) {
    super(`Namespace ${namespace} has invalid state: ${state}. Must be NAMESPACE_STATE_REGISTERED.`, {
      namespace,
      state,
      statusDetail: {
        type: 'temporal.api.errordetails.v1.NamespaceInvalidStateFailure',
        // Enum numbers of temporal.api.enums.v1.NamespaceState: DEPRECATED 2, REGISTERED 1.
        value: { namespace, state: state === 'NAMESPACE_STATE_DEPRECATED' ? 2 : 0, allowedStates: [1] },
      },
    });
  }
}
