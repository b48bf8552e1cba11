import { BadCommandError } from '../activity/activity-state-machine.js';
import type { WorkflowConfig } from '../config.js';
import { memoOverLimit, payloadsOverLimit } from '../grpc/validate.js';
import { api, CommandType, Enums, type temporal } from '../proto.js';
import type { WorkflowComponent } from './workflow.js';

const Cause = Enums.WorkflowTaskFailedCause;
type Command = temporal.api.command.v1.ICommand;

/**
 * The per-run limits a command is held to before it is applied (Temporal's `workflowSizeChecker`
 * as `handleCommand*` call it):
 * - a payload over limit.blobSize.error (or a memo over limit.memoSize.error) fails the task
 *   with the command's cause and terminates the run, with Temporal's message as the reason;
 * - one more pending activity, child, external signal or external cancel request than the
 *   run's limit fails the task with the PENDING_*_LIMIT_EXCEEDED cause (the worker retries it
 *   once some complete).
 * A command's own attributes are checked where it is applied.
 */
export function checkCommandLimits(wf: WorkflowComponent, cmd: Command, limits: WorkflowConfig): void {
  const blob = (p: temporal.api.common.v1.IPayloads | null | undefined, cause: number, message: string): void => {
    if (payloadsOverLimit(p, limits.blobSizeLimitBytes)) throw new BadCommandError(cause, message, true);
  };
  const s = wf.state;
  switch (cmd.commandType) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
      blob(cmd.scheduleActivityTaskCommandAttributes?.input, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'ScheduleActivityTaskCommandAttributes.Input exceeds size limit.');
      pending(wf.fields.activities.keys().length, limits.maxPendingActivities, 'pending activities', Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED);
      return;
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      const open = Object.values(s.children).filter((c) => c.status !== 'closed').length;
      pending(open, limits.maxPendingChildExecutions, 'pending child workflow executions', Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED);
      return;
    }
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      blob(
        cmd.signalExternalWorkflowExecutionCommandAttributes?.input,
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_INPUT_SIZE,
        'SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.',
      );
      const signals = s.pendingExternal.length - (s.pendingExternalCancels?.length ?? 0);
      pending(signals, limits.maxPendingSignals, 'pending signals to external workflows', Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED);
      return;
    }
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      pending(
        s.pendingExternalCancels?.length ?? 0,
        limits.maxPendingCancelRequests,
        'pending requests to cancel external workflows',
        Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED,
      );
      return;
    case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      // Temporal names the schedule-activity cause here (handleCommandCompleteWorkflow); kept, since
      // it is what SDKs and operators see.
      blob(cmd.completeWorkflowExecutionCommandAttributes?.result, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, 'CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.');
      return;
    case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION: {
      const f = cmd.failWorkflowExecutionCommandAttributes?.failure;
      if (f && api.failure.v1.Failure.encode(f).finish().length > limits.blobSizeLimitBytes) {
        throw new BadCommandError(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES, 'FailWorkflowExecutionCommandAttributes.Failure exceeds size limit.', true);
      }
      return;
    }
    case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      blob(cmd.cancelWorkflowExecutionCommandAttributes?.details, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES, 'CancelWorkflowExecutionCommandAttributes.Details exceeds size limit.');
      return;
    case CommandType.COMMAND_TYPE_RECORD_MARKER:
      // All the marker's details together, as Temporal measures the map.
      blob(
        { payloads: Object.values(cmd.recordMarkerCommandAttributes?.details ?? {}).flatMap((d) => d?.payloads ?? []) },
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
        'RecordMarkerCommandAttributes.Details exceeds size limit.',
      );
      return;
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      blob(cmd.continueAsNewWorkflowExecutionCommandAttributes?.input, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, 'ContinueAsNewWorkflowExecutionCommandAttributes.Input exceeds size limit.');
      return;
    case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
      if (memoOverLimit(cmd.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo, limits.memoSizeLimitBytes)) {
        throw new BadCommandError(
          Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES,
          'ModifyWorkflowPropertiesCommandAttributes.Memo exceeds size limit.',
          true,
        );
      }
      return;
  }
}

/** The PENDING_*_LIMIT_EXCEEDED causes, by the limit's metric label. */
export const PENDING_LIMITS: ReadonlyMap<number, string> = new Map([
  [Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED, 'pending_activities'],
  [Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED, 'pending_child_workflows'],
  [Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED, 'pending_signals'],
  [Cause.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED, 'pending_cancel_requests'],
]);

/** Temporal's `checkCountConstraint`: the command is refused once the count has reached the limit. */
function pending(count: number, limit: number, what: string, cause: number): void {
  if (count < limit) return;
  throw new BadCommandError(cause, `the number of ${what}, ${count}, has reached the per-workflow limit of ${limit}`);
}
