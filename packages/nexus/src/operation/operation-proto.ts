import { msToTimestamp } from '@chasm/matching';
import { temporalProto, type temporal } from '../proto.js';
import type { CancellationState, OperationStatus } from './operation.js';

const E = temporalProto.temporal.api.enums.v1;
const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;

const CANCEL_STATE = {
  unspecified: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_SCHEDULED,
  scheduled: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_SCHEDULED,
  backingOff: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_BACKING_OFF,
  succeeded: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_SUCCEEDED,
  failed: E.NexusOperationCancellationState.NEXUS_OPERATION_CANCELLATION_STATE_FAILED,
} as const;

export const BLOCKED_REASON = 'The circuit breaker is open.';

export const decodeFailure = (b: Uint8Array): temporal.api.failure.v1.IFailure => FailureMsg.decode(b);

/** PendingNexusOperationState of an operation; a SCHEDULED one behind an open circuit breaker is BLOCKED. */
export function pendingState(s: OperationStatus, blocked: boolean): number {
  const P = E.PendingNexusOperationState;
  if (blocked && s === 'scheduled') return P.PENDING_NEXUS_OPERATION_STATE_BLOCKED;
  return s === 'started'
    ? P.PENDING_NEXUS_OPERATION_STATE_STARTED
    : s === 'backingOff'
      ? P.PENDING_NEXUS_OPERATION_STATE_BACKING_OFF
      : s === 'scheduled'
        ? P.PENDING_NEXUS_OPERATION_STATE_SCHEDULED
        : P.PENDING_NEXUS_OPERATION_STATE_UNSPECIFIED;
}

/** The cancellation as Describe shows it (workflow pending operations and standalone info share the fields). */
export function cancellationInfoProto(c: CancellationState): temporal.api.workflow.v1.INexusOperationCancellationInfo {
  return {
    requestedTime: msToTimestamp(c.requestedTime),
    state: CANCEL_STATE[c.status],
    attempt: c.attempt,
    ...(c.lastAttemptCompleteTime !== null ? { lastAttemptCompleteTime: msToTimestamp(c.lastAttemptCompleteTime) } : {}),
    ...(c.lastAttemptFailure ? { lastAttemptFailure: decodeFailure(c.lastAttemptFailure) } : {}),
    ...(c.nextAttemptScheduleTime !== null ? { nextAttemptScheduleTime: msToTimestamp(c.nextAttemptScheduleTime) } : {}),
  };
}
