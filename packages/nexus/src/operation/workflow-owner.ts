import type { MutableContext } from '@chasm/core';
import { recordExternalEvent, Workflow, type WorkflowComponent } from '@chasm/workflow';
import { temporalProto, type temporal } from '../proto.js';
import { WorkflowOperations, type OperationComponent } from './operation.js';
import type { Failure, NexusLink, OperationOutcome, OperationOwner, OwnerInfo } from './operation-owner.js';

const EventType = temporalProto.temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Long = NonNullable<temporal.api.history.v1.IHistoryEvent['eventId']>;

const long = (n: number): Long => n as unknown as Long;

/** The run holding a workflow-owned operation. */
export function callerRunOf(op: OperationComponent): WorkflowComponent | undefined {
  return op.parent(WorkflowOperations)?.parent(Workflow);
}

/** Temporal's link to a workflow history event, in the Nexus URL form the SDK parses. */
export function workflowEventLink(namespace: string, workflowId: string, runId: string, eventId: number, eventType: string): NexusLink {
  const url = new URL(`temporal:///namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`);
  url.search = new URLSearchParams({ referenceType: 'EventReference', eventID: String(eventId), eventType }).toString();
  return { url: url.toString(), type: 'temporal.api.common.v1.Link.WorkflowEvent' };
}

/** A Nexus link as a Temporal link on a history event (the handler's links on Started/Completed). */
function temporalLinks(links: readonly NexusLink[]): temporal.api.common.v1.ILink[] {
  const out: temporal.api.common.v1.ILink[] = [];
  for (const l of links) {
    if (l.type !== 'temporal.api.common.v1.Link.WorkflowEvent' || !l.url) continue;
    try {
      const u = new URL(l.url);
      const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      // namespaces/<ns>/workflows/<wf>/<run>/history
      if (parts.length < 6 || parts[0] !== 'namespaces' || parts[2] !== 'workflows') continue;
      const eventId = Number(u.searchParams.get('eventID') ?? 0);
      const typeName = u.searchParams.get('eventType') ?? '';
      const constant = `EVENT_TYPE_${typeName.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
      const eventType = (EventType as unknown as Record<string, number>)[typeName.startsWith('EVENT_TYPE_') ? typeName : constant] ?? 0;
      out.push({ workflowEvent: { namespace: parts[1]!, workflowId: parts[3]!, runId: parts[4]!, eventRef: { eventId: long(eventId), eventType } } });
    } catch {
      // A link we cannot read is left out; it is informational.
    }
  }
  return out;
}

/**
 * The failure on a NexusOperation{Failed,Canceled,TimedOut} event: Temporal wraps the handler's
 * failure in a NexusOperationFailureInfo naming the operation (reference D.3); the SDK turns it
 * into a NexusOperationFailure whose cause is the handler's failure.
 */
function wrap(op: OperationComponent, cause: Failure): Failure {
  const s = op.state;
  return {
    message: 'nexus operation completed unsuccessfully',
    nexusOperationExecutionFailureInfo: {
      scheduledEventId: long(s.scheduledEventId),
      endpoint: s.endpoint,
      service: s.service,
      operation: s.operation,
      operationToken: s.operationToken,
      operationId: s.operationToken,
    },
    cause,
  };
}

/** Outcomes become history events; a closed operation leaves the run's map after the next workflow task (reference D.3). */
export const workflowOwner: OperationOwner = {
  describe(op): OwnerInfo {
    const wf = callerRunOf(op)!;
    const s = wf.state;
    return {
      namespaceId: s.namespaceId,
      namespace: s.namespace,
      archetype: Workflow.name,
      businessId: s.workflowId,
      runId: s.runId,
      callerLink: workflowEventLink(s.namespace, s.workflowId, s.runId, op.state.scheduledEventId, 'NexusOperationScheduled'),
    };
  },
  active: (op) => callerRunOf(op)?.state.status === 'running',
  started(op, ctx, links) {
    const s = op.state;
    record(op, ctx, {
      eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED,
      ...(links.length ? { links: temporalLinks(links) } : {}),
      nexusOperationStartedEventAttributes: {
        scheduledEventId: long(s.scheduledEventId),
        operationToken: s.operationToken,
        operationId: s.operationToken,
        requestId: s.requestId,
      },
    });
  },
  closed(op, ctx, outcome: OperationOutcome) {
    const s = op.state;
    const scheduledEventId = long(s.scheduledEventId);
    const requestId = s.requestId;
    switch (outcome.kind) {
      case 'succeeded':
        record(op, ctx, {
          eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED,
          ...(outcome.links?.length ? { links: temporalLinks(outcome.links) } : {}),
          nexusOperationCompletedEventAttributes: { scheduledEventId, ...(outcome.result ? { result: outcome.result } : {}), requestId },
        });
        break;
      case 'failed':
        record(op, ctx, { eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED, nexusOperationFailedEventAttributes: { scheduledEventId, failure: wrap(op, outcome.failure), requestId } });
        break;
      case 'canceled':
        record(op, ctx, { eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_CANCELED, nexusOperationCanceledEventAttributes: { scheduledEventId, failure: wrap(op, outcome.failure), requestId } });
        break;
      case 'timedOut':
        record(op, ctx, { eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT, nexusOperationTimedOutEventAttributes: { scheduledEventId, failure: wrap(op, outcome.failure), requestId } });
        break;
    }
    // The node stays until the next workflow task completes (the extension's afterCompletion): a
    // cancel command sent before the worker saw this outcome still finds its operation (D.2).
  },
  cancellationResult(op, ctx, failure) {
    const s = op.state;
    const c = s.cancellation!;
    const base = { requestedEventId: long(c.requestedEventId), scheduledEventId: long(s.scheduledEventId) };
    record(
      op,
      ctx,
      failure
        ? { eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_FAILED, workerMayIgnore: true, nexusOperationCancelRequestFailedEventAttributes: { ...base, failure } }
        : { eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED, workerMayIgnore: true, nexusOperationCancelRequestCompletedEventAttributes: base },
    );
  },
};

function record(op: OperationComponent, ctx: MutableContext, ev: HistoryEvent): void {
  const wf = callerRunOf(op);
  if (!wf || wf.state.status !== 'running') return;
  recordExternalEvent(wf, ctx, ev);
}
