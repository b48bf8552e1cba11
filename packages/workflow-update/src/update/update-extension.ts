import { BadCommandError, type CompletingTask, type ProtocolMessage, type WorkflowExtension, type WorkflowHistory } from '@chasm/workflow';
import { long } from '@chasm/matching';
import { anyTypeName, api, decodeRequest, Enums, typeUrl, type Failure, type temporal } from '../proto.js';
import { addUpdate, registryOf } from './registry.js';
import { Accept, Complete, Reject } from './update.transitions.js';
import type { UpdateComponent, UpdateRegistryComponent } from './update.js';

const BAD_MESSAGE = Enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE;
const EventType = Enums.EventType;
const UPDATE_PACKAGE = 'temporal.api.update.v1.';

/** Temporal's server failures (service/history/workflow/update/errors_failures.go). */
export const unprocessedUpdateFailure: Failure = {
  message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};
export const acceptedUpdateCompletedWorkflowFailure: Failure = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

const remove = (list: string[], id: string): void => {
  const i = list.indexOf(id);
  if (i >= 0) list.splice(i, 1);
};

/** The request message for one update: `<updateId>/request`, sequenced just before WorkflowTaskStarted. */
function requestMessage(u: UpdateComponent, startedEventId: number): ProtocolMessage {
  return {
    id: `${u.state.updateId}/request`,
    protocolInstanceId: u.state.updateId,
    eventId: long(startedEventId - 1),
    body: { type_url: typeUrl(`${UPDATE_PACKAGE}Request`), value: u.state.request },
  };
}

function accept(h: WorkflowHistory, id: string, a: temporal.api.update.v1.Acceptance): void {
  let reg = registryOf(h.wf);
  let u = reg?.fields.updates.get(id);
  if (!u) {
    // An update the run no longer knows (e.g. admitted before a reset): resurrected from the echo.
    if (!a.acceptedRequest) throw new BadCommandError(BAD_MESSAGE, `update ${id} not found`);
    u = addUpdate(h.wf, id, api.update.v1.Request.encode(a.acceptedRequest).finish(), h.now);
    reg = registryOf(h.wf)!;
  }
  if (!Accept.possible(u)) throw new BadCommandError(BAD_MESSAGE, `update ${id} cannot be accepted in state ${u.state.status}`);
  const acceptedEventId = h.append({
    eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    workflowExecutionUpdateAcceptedEventAttributes: {
      protocolInstanceId: id,
      acceptedRequestMessageId: a.acceptedRequestMessageId || `${id}/request`,
      acceptedRequestSequencingEventId: a.acceptedRequestSequencingEventId ?? long(0),
      // Core rebuilds the handler call on replay from this: it must be the full request.
      acceptedRequest: a.acceptedRequest ?? decodeRequest(u.state.request),
    },
  });
  Accept.apply(u, h.ctx, { acceptedEventId });
  remove(reg!.state.admitted, id);
  reg!.state.accepted.push(id);
}

function respond(h: WorkflowHistory, id: string, r: temporal.api.update.v1.Response, identity: string): void {
  const reg = registryOf(h.wf);
  const u = reg?.fields.updates.get(id);
  if (!reg || !u || !Complete.possible(u)) {
    throw new BadCommandError(BAD_MESSAGE, `update ${id} is not accepted, it cannot complete`);
  }
  const outcome = r.outcome ?? {};
  const completedEventId = h.append({
    eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
    workflowExecutionUpdateCompletedEventAttributes: {
      meta: r.meta ?? { updateId: id, identity },
      acceptedEventId: long(u.state.acceptedEventId),
      outcome,
    },
  });
  Complete.apply(u, h.ctx, { completedEventId, outcome });
  remove(reg.state.accepted, id);
}

function reject(reg: UpdateRegistryComponent, u: UpdateComponent, failure: Failure, keep: number, h: WorkflowHistory): void {
  Reject.apply(u, h.ctx, { failure });
  const s = reg.state;
  remove(s.admitted, u.state.updateId);
  s.total--;
  // Kept for deduplication of a retried request, but bounded: rejections are not limited.
  s.rejected.push(u.state.updateId);
  while (s.rejected.length > keep) reg.fields.updates.delete(s.rejected.shift()!);
}

/** A malformed message body fails the workflow task (the worker's fault), not the server. */
function decodeBody<T>(type: { decode(b: Uint8Array): T }, value: Uint8Array, name: string): T {
  try {
    return type.decode(value);
  } catch (e) {
    throw new BadCommandError(BAD_MESSAGE, `malformed ${name} message: ${(e as Error).message}`);
  }
}

/**
 * Workflow Update's part in the workflow-task protocol (ADR 0007): requests go out as protocol
 * messages on every started task; acceptances, responses and rejections come back in the
 * completion; whatever the worker did not answer is rejected; closing the run settles the rest.
 */
export function updateExtension(opts: { rejectedKept: number; maxTotalUpdates: number }): WorkflowExtension {
  return {
    name: 'workflow-update',

    outgoingMessages(wf, _ctx, task) {
      const reg = registryOf(wf);
      if (!reg || reg.state.admitted.length === 0) return [];
      // After a heartbeat the worker still holds what it was sent: only new updates go out.
      const onlyNew = reg.state.heartbeatStamp === task.stamp;
      const out: ProtocolMessage[] = [];
      for (const id of reg.state.admitted) {
        const u = reg.fields.updates.get(id);
        if (!u || (onlyNew && u.state.sentStamp !== 0)) continue;
        u.state.sentStamp = task.stamp;
        out.push(requestMessage(u, task.startedEventId));
      }
      return out;
    },

    applyMessage(h, msg, task) {
      const type = anyTypeName(msg.body);
      if (!type.startsWith(UPDATE_PACKAGE)) return false;
      const id = msg.protocolInstanceId ?? '';
      const value = msg.body?.value ?? new Uint8Array(0);
      switch (type) {
        case `${UPDATE_PACKAGE}Acceptance`:
          if (h.wf.state.status !== 'running') return true;
          accept(h, id, decodeBody(api.update.v1.Acceptance, value, type));
          return true;
        case `${UPDATE_PACKAGE}Response`:
          if (h.wf.state.status !== 'running') return true;
          respond(h, id, decodeBody(api.update.v1.Response, value, type), task.identity);
          return true;
        case `${UPDATE_PACKAGE}Rejection`: {
          const r = decodeBody(api.update.v1.Rejection, value, type);
          const reg = registryOf(h.wf);
          const u = reg?.fields.updates.get(id);
          // Unknown (or already settled by the run closing): nothing to undo, nothing to write.
          if (!reg || !u || u.state.status === 'rejected') return true;
          if (!Reject.possible(u)) throw new BadCommandError(BAD_MESSAGE, `update ${id} cannot be rejected in state ${u.state.status}`);
          reject(reg, u, r.failure ?? { message: 'update rejected' }, opts.rejectedKept, h);
          return true;
        }
        default:
          throw new BadCommandError(BAD_MESSAGE, `unsupported update message ${type}`);
      }
    },

    discardable(msg) {
      // A rejection writes no event: a speculative task that carried only rejections leaves no trace.
      return anyTypeName(msg.body) === `${UPDATE_PACKAGE}Rejection`;
    },

    afterCompletion(h, task: CompletingTask) {
      const reg = registryOf(h.wf);
      if (!reg || h.wf.state.status !== 'running') return;
      if (task.heartbeat) {
        // The heartbeat's follow-up task is scheduled right after this hook, with the next stamp.
        reg.state.heartbeatStamp = h.wf.state.wftStamp + 1;
        return;
      }
      // Sent on this task and neither accepted nor rejected: the worker does not handle updates.
      for (const id of [...reg.state.admitted]) {
        const u = reg.fields.updates.get(id);
        if (u && u.state.sentStamp === task.stamp) reject(reg, u, unprocessedUpdateFailure, opts.rejectedKept, h);
      }
    },

    continueAsNewReasons(wf) {
      // Like Temporal: at 90% of the total limit the workflow is told to continue as new.
      const total = registryOf(wf)?.state.total ?? 0;
      return total >= opts.maxTotalUpdates * 0.9 ? [Enums.SuggestContinueAsNewReason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_UPDATES] : [];
    },

    needsWorkflowTask(wf) {
      return (registryOf(wf)?.state.admitted.length ?? 0) > 0;
    },

    onClose(wf, ctx) {
      const reg = registryOf(wf);
      if (!reg) return;
      const s = reg.state;
      // Never accepted: dropped; their waiters see them gone from a closed run (Temporal aborts
      // them with "update aborted by closing workflow", or retries them on the next run).
      for (const id of s.admitted) reg.fields.updates.delete(id);
      s.total -= s.admitted.length;
      s.admitted = [];
      // Accepted: a caller that saw ACCEPTED always gets an outcome, never an error.
      for (const id of s.accepted) {
        const u = reg.fields.updates.get(id);
        if (u) Complete.apply(u, ctx, { completedEventId: 0, outcome: { failure: acceptedUpdateCompletedWorkflowFailure } });
      }
      s.accepted = [];
      s.heartbeatStamp = 0;
    },
  };
}
