import { FailedPreconditionError, NotFoundError } from '@chasm/core';

/** A schedule that does not exist, was deleted or closed idle: every per-schedule RPC answers this. */
export class ScheduleNotFoundError extends NotFoundError {
  constructor(scheduleId: string) {
    super(`schedule not found for ID: ${scheduleId}`, { scheduleId });
  }
}

/** UpdateSchedule with a conflict token that is not the schedule's current one. */
export class ConflictTokenMismatchError extends FailedPreconditionError {
  constructor() {
    super('mismatched conflict token');
  }
}

/** PatchSchedule or CreateSchedule's initial patch would exceed the concurrent backfill limit. */
export class TooManyBackfillersError extends FailedPreconditionError {
  constructor() {
    super('too many concurrent backfillers');
  }
}
