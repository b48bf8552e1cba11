import { lib } from '../library-builder.js';
import { FailedPreconditionError, systemRetryDelayMs, type MutableContext, type SideEffectContext, type ComponentRef, type TaskAttributes } from '@chasm/core';
import { temporalProto } from '../proto.js';
import { NexusOperation, operationHooks, PENDING, WorkflowOperations, type OperationComponent } from './operation.js';
import type { Failure, NexusLink, OperationOutcome, OperationOwner, Payload } from './operation-owner.js';
import { workflowOwner } from './workflow-owner.js';
import { standaloneOwner } from './standalone-owner.js';

const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;
const TimeoutType = temporalProto.temporal.api.enums.v1.TimeoutType;

/** Temporal's `nexusoperation.retryPolicy` / callback retry: 1 s doubling to 1 h, no attempt cap. */
export const RETRY_INITIAL_MS = 1_000;
export const RETRY_MAXIMUM_MS = 3_600_000;

/** Where the operation's progress goes: its workflow run (standalone operations come next). */
export function ownerOf(op: OperationComponent): OperationOwner {
  if (op.parent(WorkflowOperations)) return workflowOwner;
  if (op.state.standalone) return standaloneOwner;
  throw new Error(`nexus operation at '${op.path}' has no owner`);
}

export interface AttemptPayload {
  readonly attempt: number;
}

type Execute<P> = (ctx: SideEffectContext, ref: ComponentRef, payload: P, attrs: TaskAttributes) => Promise<void>;
const unwired: Execute<unknown> = () => Promise.reject(new Error('nexus tasks are not wired (use createNexusLibrary)'));

/** Invocation (reference C.3): valid while SCHEDULED at this attempt. The library registers the wired one. */
export const invokeTaskType = (execute: Execute<AttemptPayload>) =>
  lib.sideEffectTask<typeof NexusOperation, AttemptPayload>({
    name: 'invoke',
    component: NexusOperation,
    validate: (_ctx, op, p) => op.state.status === 'scheduled' && op.state.attempt === p.attempt && ownerOf(op).active(op),
    execute,
  });
export const InvokeTask = invokeTaskType(unwired);

/** The cancel request to the handler (reference C.4): valid while the cancellation is SCHEDULED at this attempt. */
export const cancelTaskType = (execute: Execute<AttemptPayload>) =>
  lib.sideEffectTask<typeof NexusOperation, AttemptPayload>({
    name: 'cancel',
    component: NexusOperation,
    validate: (_ctx, op, p) => op.state.status === 'started' && op.state.cancellation?.status === 'scheduled' && op.state.cancellation.attempt === p.attempt && ownerOf(op).active(op),
    execute,
  });
export const CancelTask = cancelTaskType(unwired);

/** BACKING_OFF → SCHEDULED with the next attempt. */
export const InvocationBackoffTask = lib.pureTask<typeof NexusOperation, AttemptPayload>({
  name: 'invocationBackoff',
  component: NexusOperation,
  validate: (_ctx, op, p) => op.state.status === 'backingOff' && op.state.attempt === p.attempt,
  execute(ctx, op) {
    const s = op.state;
    s.status = 'scheduled';
    s.attempt++;
    s.nextAttemptScheduleTime = null;
    ctx.addTask(op, InvokeTask, { attempt: s.attempt });
  },
});

/** The cancellation's BACKING_OFF → SCHEDULED. */
export const CancelBackoffTask = lib.pureTask<typeof NexusOperation, AttemptPayload>({
  name: 'cancelBackoff',
  component: NexusOperation,
  validate: (_ctx, op, p) => op.state.cancellation?.status === 'backingOff' && op.state.cancellation.attempt === p.attempt,
  execute(ctx, op) {
    const c = op.state.cancellation!;
    c.status = 'scheduled';
    c.nextAttemptScheduleTime = null;
    ctx.addTask(op, CancelTask, { attempt: c.attempt });
  },
});

export type TimeoutKind = 'scheduleToClose' | 'scheduleToStart' | 'startToClose';

/** The three timers (reference C.2 "timer validity"). */
export const TimeoutTask = lib.pureTask<typeof NexusOperation, { readonly kind: TimeoutKind }>({
  name: 'timeout',
  component: NexusOperation,
  validate: (_ctx, op, p) => {
    const st = op.state.status;
    if (p.kind === 'scheduleToStart') return st === 'scheduled' || st === 'backingOff';
    if (p.kind === 'startToClose') return st === 'started';
    return PENDING.has(st);
  },
  execute(ctx, op, p) {
    timeOut(op, ctx, p.kind);
  },
});

const TIMEOUT_TYPE: Readonly<Record<TimeoutKind, number>> = {
  scheduleToClose: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
  scheduleToStart: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
  startToClose: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
};

export const timeoutFailure = (kind: TimeoutKind): Failure => ({ message: 'operation timed out', timeoutFailureInfo: { timeoutType: TIMEOUT_TYPE[kind] } });

/** UNSPECIFIED → SCHEDULED: the first attempt and the schedule timers. */
export function scheduled(op: OperationComponent, ctx: MutableContext): void {
  const s = op.state;
  ctx.addTask(op, InvokeTask, { attempt: s.attempt });
  if (s.scheduleToStartMs > 0) ctx.addTask(op, TimeoutTask, { kind: 'scheduleToStart' }, { at: new Date(s.scheduledTime + s.scheduleToStartMs) });
  if (s.scheduleToCloseMs > 0) ctx.addTask(op, TimeoutTask, { kind: 'scheduleToClose' }, { at: new Date(s.scheduledTime + s.scheduleToCloseMs) });
}

/** A retryable attempt failure: SCHEDULED → BACKING_OFF. */
export function attemptFailed(op: OperationComponent, ctx: MutableContext, failure: Failure): void {
  const s = op.state;
  const now = ctx.now.getTime();
  s.status = 'backingOff';
  s.lastAttemptCompleteTime = now;
  s.lastAttemptFailure = FailureMsg.encode(FailureMsg.fromObject(failure)).finish();
  s.nextAttemptScheduleTime = now + systemRetryDelayMs(s.attempt, RETRY_INITIAL_MS, RETRY_MAXIMUM_MS);
  ctx.addTask(op, InvocationBackoffTask, { attempt: s.attempt }, { at: new Date(s.nextAttemptScheduleTime) });
}

/** SCHEDULED/BACKING_OFF → STARTED (an async start response, or a completion that beat it). */
export function started(op: OperationComponent, ctx: MutableContext, token: string, links: readonly NexusLink[], startTime?: number): void {
  const s = op.state;
  s.status = 'started';
  s.startedTime = startTime ?? ctx.now.getTime();
  s.lastAttemptCompleteTime = s.startedTime;
  s.lastAttemptFailure = null;
  s.nextAttemptScheduleTime = null;
  s.operationToken = token;
  if (s.startToCloseMs > 0) ctx.addTask(op, TimeoutTask, { kind: 'startToClose' }, { at: new Date(s.startedTime + s.startToCloseMs) });
  ownerOf(op).started(op, ctx, links);
  // A cancel requested before the start waited for the token (reference C.4).
  if (s.cancellation?.status === 'unspecified') scheduleCancellation(op, ctx);
}

/** → SUCCEEDED / FAILED / CANCELED / TIMED_OUT. An attempt's failure is also kept as the last attempt's. */
export function closed(op: OperationComponent, ctx: MutableContext, outcome: OperationOutcome, fromAttempt = false): void {
  const s = op.state;
  const now = ctx.now.getTime();
  s.status = outcome.kind;
  s.closedTime = now;
  s.nextAttemptScheduleTime = null;
  if (fromAttempt) {
    s.lastAttemptCompleteTime = now;
    s.lastAttemptFailure = outcome.kind === 'succeeded' ? null : FailureMsg.encode(FailureMsg.fromObject(outcome.failure)).finish();
  }
  ownerOf(op).closed(op, ctx, outcome);
}

export function timeOut(op: OperationComponent, ctx: MutableContext, kind: TimeoutKind, fromAttempt = false): void {
  closed(op, ctx, { kind: 'timedOut', failure: timeoutFailure(kind) }, fromAttempt);
}

/** RequestCancel (reference C.4): waits for STARTED, or is sent now. */
export function requestCancel(op: OperationComponent, ctx: MutableContext, requestedEventId: number): void {
  op.state.cancellation = {
    status: 'unspecified',
    requestedTime: ctx.now.getTime(),
    requestedEventId,
    attempt: 0,
    lastAttemptCompleteTime: null,
    lastAttemptFailure: null,
    nextAttemptScheduleTime: null,
  };
  if (op.state.status === 'started') scheduleCancellation(op, ctx);
}

function scheduleCancellation(op: OperationComponent, ctx: MutableContext): void {
  const c = op.state.cancellation!;
  c.status = 'scheduled';
  c.attempt = 1;
  ctx.addTask(op, CancelTask, { attempt: 1 });
}

/** The cancel call's result: delivered (failure null), a retryable failure, or a final one. */
export function cancelAttempted(op: OperationComponent, ctx: MutableContext, failure: Failure | null, retryable: boolean): void {
  const c = op.state.cancellation!;
  const now = ctx.now.getTime();
  c.lastAttemptCompleteTime = now;
  if (failure === null) {
    c.status = 'succeeded';
    c.lastAttemptFailure = null;
    ownerOf(op).cancellationResult(op, ctx, null);
    return;
  }
  c.lastAttemptFailure = FailureMsg.encode(FailureMsg.fromObject(failure)).finish();
  if (retryable) {
    c.status = 'backingOff';
    c.nextAttemptScheduleTime = now + systemRetryDelayMs(c.attempt, RETRY_INITIAL_MS, RETRY_MAXIMUM_MS);
    c.attempt++;
    ctx.addTask(op, CancelBackoffTask, { attempt: c.attempt }, { at: new Date(c.nextAttemptScheduleTime) });
    return;
  }
  c.status = 'failed';
  ownerOf(op).cancellationResult(op, ctx, failure);
}

/**
 * A completion delivered by the handler's callback (reference C.5): a pending operation that has
 * not seen its start response is started first, then closed with the outcome.
 */
export function completedByCallback(op: OperationComponent, ctx: MutableContext, outcome: OperationOutcome, token: string, startTime: number, links: readonly NexusLink[] = []): void {
  const s = op.state;
  if (s.status === 'scheduled' || s.status === 'backingOff') started(op, ctx, token, links, startTime);
  closed(op, ctx, outcome);
}

export type { Payload };

/** → TERMINATED (reference C.2): from the pending statuses and CANCELED; the outcome says who and why. */
export function terminate(op: OperationComponent, ctx: MutableContext, reason: string, identity: string, requestId: string): void {
  const s = op.state;
  const st = s.standalone;
  if (st && requestId && st.terminateRequestId === requestId) return;
  if (!PENDING.has(s.status) && s.status !== 'canceled') throw new FailedPreconditionError('operation already completed');
  s.status = 'terminated';
  s.closedTime = ctx.now.getTime();
  s.nextAttemptScheduleTime = null;
  if (st) {
    st.terminateRequestId = requestId;
    st.failure = FailureMsg.encode(FailureMsg.fromObject({ message: reason, terminatedFailureInfo: { identity } })).finish();
  }
}

operationHooks.terminate = (op, ctx, reason) => terminate(op, ctx, reason, '', '');

/** RequestCancel on a standalone operation (reference C.4): a repeated request id is a no-op. */
export function requestCancelStandalone(op: OperationComponent, ctx: MutableContext, req: { requestId: string; reason: string; identity: string }): void {
  const s = op.state;
  const st = s.standalone!;
  if (st.cancelRequestId && st.cancelRequestId === req.requestId) return;
  if (!PENDING.has(s.status)) throw new FailedPreconditionError('operation already completed');
  if (s.cancellation) throw new FailedPreconditionError(`cancellation already requested with request ID ${st.cancelRequestId}`);
  st.cancelRequestId = req.requestId;
  st.cancelReason = req.reason;
  st.cancelIdentity = req.identity;
  requestCancel(op, ctx, 0);
}
