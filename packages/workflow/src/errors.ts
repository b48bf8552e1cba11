import { ChasmError, ErrorCode } from '@chasm/core';

/** The worker completed a task while new events arrived (Temporal's exact message, core matches it). */
export class UnhandledCommandError extends ChasmError {
  constructor() {
    super(ErrorCode.InvalidArgument, 'UnhandledCommand');
  }
}
