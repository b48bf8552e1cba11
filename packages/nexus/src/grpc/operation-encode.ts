import type { VisibilityRecord } from '@chasm/core';
import { long, msToDuration, msToTimestamp } from '@chasm/matching';
import { temporalProto, type temporal } from '../proto.js';
import { PENDING, type OperationComponent, type OperationState, type OperationStatus } from '../operation/operation.js';
import { BLOCKED_REASON, cancellationInfoProto, pendingState } from '../operation/operation-proto.js';

const E = temporalProto.temporal.api.enums.v1;
const PayloadMsg = temporalProto.temporal.api.common.v1.Payload;
const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;
const LinkMsg = temporalProto.temporal.api.common.v1.Link;
const SAMsg = temporalProto.temporal.api.common.v1.SearchAttributes;
const MetaMsg = temporalProto.temporal.api.sdk.v1.UserMetadata;

export const STATUS_PROTO: Readonly<Record<OperationStatus, number>> = {
  scheduled: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_RUNNING,
  backingOff: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_RUNNING,
  started: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_RUNNING,
  succeeded: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_COMPLETED,
  failed: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_FAILED,
  canceled: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_CANCELED,
  terminated: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_TERMINATED,
  timedOut: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_TIMED_OUT,
};

const RECORD_STATUS: Readonly<Record<string, number>> = {
  running: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_RUNNING,
  completed: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_COMPLETED,
  failed: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_FAILED,
  canceled: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_CANCELED,
  terminated: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_TERMINATED,
  timedOut: E.NexusOperationExecutionStatus.NEXUS_OPERATION_EXECUTION_STATUS_TIMED_OUT,
};

const failureOf = (b: Uint8Array | null): temporal.api.failure.v1.IFailure | undefined => (b ? FailureMsg.decode(b) : undefined);

/** The outcome Describe (include_outcome) and Poll return: the result, the outcome failure, or the last attempt's. */
export function outcomeOf(s: OperationState): { result?: temporal.api.common.v1.IPayload; failure?: temporal.api.failure.v1.IFailure } {
  const st = s.standalone;
  if (s.status === 'succeeded') return st?.result ? { result: PayloadMsg.decode(st.result) } : { result: {} };
  if (st?.failure) return { failure: FailureMsg.decode(st.failure) };
  if (s.lastAttemptFailure) return { failure: FailureMsg.decode(s.lastAttemptFailure) };
  return {};
}

/** NexusOperationExecutionInfo (reference C.6, Describe). */
export function describeInfo(op: OperationComponent, key: { businessId: string; runId: string }, now: number, transitions: number, blocked: boolean): temporal.api.nexus.v1.INexusOperationExecutionInfo {
  const s = op.state;
  const st = s.standalone!;
  const end = s.closedTime ?? now;
  const c = s.cancellation;
  const isBlocked = blocked && s.status === 'scheduled';
  return {
    operationId: key.businessId,
    runId: key.runId,
    endpoint: s.endpoint,
    service: s.service,
    operation: s.operation,
    status: STATUS_PROTO[s.status],
    state: pendingState(s.status, blocked),
    ...(s.scheduleToCloseMs > 0 ? { scheduleToCloseTimeout: msToDuration(s.scheduleToCloseMs), expirationTime: msToTimestamp(s.scheduledTime + s.scheduleToCloseMs) } : {}),
    ...(s.scheduleToStartMs > 0 ? { scheduleToStartTimeout: msToDuration(s.scheduleToStartMs) } : {}),
    ...(s.startToCloseMs > 0 ? { startToCloseTimeout: msToDuration(s.startToCloseMs) } : {}),
    attempt: s.attempt,
    scheduleTime: msToTimestamp(s.scheduledTime),
    ...(s.closedTime !== null ? { closeTime: msToTimestamp(s.closedTime) } : {}),
    ...(s.lastAttemptCompleteTime !== null ? { lastAttemptCompleteTime: msToTimestamp(s.lastAttemptCompleteTime) } : {}),
    ...(s.lastAttemptFailure ? { lastAttemptFailure: failureOf(s.lastAttemptFailure)! } : {}),
    ...(s.nextAttemptScheduleTime !== null && PENDING.has(s.status) ? { nextAttemptScheduleTime: msToTimestamp(s.nextAttemptScheduleTime) } : {}),
    executionDuration: msToDuration(Math.max(0, end - s.scheduledTime)),
    ...(c ? { cancellationInfo: { ...cancellationInfoProto(c), reason: st.cancelReason } } : {}),
    ...(isBlocked ? { blockedReason: BLOCKED_REASON } : {}),
    requestId: s.requestId,
    operationToken: s.operationToken,
    stateTransitionCount: long(transitions),
    ...(st.searchAttributesBytes ? { searchAttributes: SAMsg.decode(st.searchAttributesBytes) } : {}),
    nexusHeader: { ...s.header },
    ...(st.userMetadata ? { userMetadata: MetaMsg.decode(st.userMetadata) } : {}),
    links: st.links.map((b) => LinkMsg.decode(b)),
    identity: st.identity,
  };
}

/** A List entry from a visibility record. */
export function listInfo(r: VisibilityRecord): temporal.api.nexus.v1.INexusOperationExecutionListInfo {
  const sa = r.searchAttributes;
  const str = (k: string): string => (typeof sa[k] === 'string' ? (sa[k] as string) : '');
  const start = r.startTime.getTime();
  return {
    operationId: r.businessId,
    runId: r.runId,
    endpoint: str('Endpoint'),
    service: str('Service'),
    operation: str('Operation'),
    scheduleTime: msToTimestamp(start),
    ...(r.closeTime ? { closeTime: msToTimestamp(r.closeTime.getTime()), executionDuration: msToDuration(Math.max(0, r.closeTime.getTime() - start)) } : {}),
    status: RECORD_STATUS[r.status] ?? 0,
    stateTransitionCount: long(r.transitionCount ?? 0),
  };
}
