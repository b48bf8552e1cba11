import { ChasmError, ErrorCode, NotFoundError } from '@chasm/core';

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
