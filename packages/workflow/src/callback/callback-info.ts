import { msToTimestamp } from '@chasm/matching';
import { Enums, type temporal } from '../proto.js';
import type { CallbackState, CallbackStatus } from './callback.js';
import type { WorkflowComponent } from '../workflow/workflow.js';

const S = Enums.CallbackState;
const STATE_PROTO: Readonly<Record<CallbackStatus, number>> = {
  standby: S.CALLBACK_STATE_STANDBY,
  scheduled: S.CALLBACK_STATE_SCHEDULED,
  backingOff: S.CALLBACK_STATE_BACKING_OFF,
  succeeded: S.CALLBACK_STATE_SUCCEEDED,
  failed: S.CALLBACK_STATE_FAILED,
};

/** temporal.api.workflow.v1.CallbackInfo of one callback (DescribeWorkflowExecution). */
export function callbackInfo(s: CallbackState): temporal.api.workflow.v1.ICallbackInfo {
  return {
    callback: { nexus: { url: s.url, header: s.header } },
    trigger: { workflowClosed: {} },
    registrationTime: msToTimestamp(s.registrationTime),
    state: STATE_PROTO[s.status],
    attempt: s.attempt,
    ...(s.lastAttemptCompleteTime !== null ? { lastAttemptCompleteTime: msToTimestamp(s.lastAttemptCompleteTime) } : {}),
    // As Temporal reports it: an application failure, non-retryable once the callback gave up.
    ...(s.lastFailure !== null
      ? { lastAttemptFailure: { message: s.lastFailure, applicationFailureInfo: { nonRetryable: s.status === 'failed' } } }
      : {}),
    ...(s.nextAttemptTime !== null ? { nextAttemptScheduleTime: msToTimestamp(s.nextAttemptTime) } : {}),
  };
}

/** The run's callbacks in the order the start request listed them. */
export function callbackInfos(wf: WorkflowComponent): temporal.api.workflow.v1.ICallbackInfo[] {
  const m = wf.fields.callbacks;
  return m
    .keys()
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => callbackInfo(m.get(k)!.state));
}
