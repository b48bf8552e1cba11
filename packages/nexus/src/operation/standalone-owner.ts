import type { ExecutionKey } from '@chasm/core';
import { NexusOperation, type OperationComponent } from './operation.js';
import type { NexusLink, OperationOutcome, OperationOwner, OwnerInfo } from './operation-owner.js';
import { temporalProto } from '../proto.js';

const PayloadMsg = temporalProto.temporal.api.common.v1.Payload;
const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;
const LinkMsg = temporalProto.temporal.api.common.v1.Link;

/** Temporal's link to a standalone operation, in the Nexus URL form the SDK parses. */
export function operationLink(namespace: string, operationId: string, runId: string): NexusLink {
  return {
    url: `temporal:///namespaces/${encodeURIComponent(namespace)}/nexus-operations/${encodeURIComponent(operationId)}/${encodeURIComponent(runId)}/details`,
    type: 'temporal.api.common.v1.Link.NexusOperation',
  };
}

/** A handler's Nexus link as a Temporal link (workflow event links only; others are dropped). */
function toTemporalLink(l: NexusLink): Uint8Array | undefined {
  if (l.type !== 'temporal.api.common.v1.Link.WorkflowEvent' || !l.url) return undefined;
  try {
    const u = new URL(l.url);
    const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length < 6 || parts[0] !== 'namespaces' || parts[2] !== 'workflows') return undefined;
    return LinkMsg.encode(LinkMsg.fromObject({ workflowEvent: { namespace: parts[1], workflowId: parts[3], runId: parts[4] } })).finish();
  } catch {
    return undefined;
  }
}

/** A standalone operation keeps its outcome itself (reference C.6): Describe and Poll read it. */
export const standaloneOwner: OperationOwner = {
    describe(op: OperationComponent, key: ExecutionKey): OwnerInfo {
      const namespace = op.state.standalone!.namespace;
      return {
        namespaceId: key.namespaceId,
        namespace,
        archetype: NexusOperation.name,
        businessId: key.businessId,
        runId: key.runId,
        callerLink: operationLink(namespace, key.businessId, key.runId),
      };
    },
    active: () => true,
    started(op, _ctx, links) {
      addLinks(op, links);
    },
    closed(op, _ctx, outcome: OperationOutcome) {
      const st = op.state.standalone!;
      if (outcome.kind === 'succeeded') {
        st.result = outcome.result ? PayloadMsg.encode(PayloadMsg.fromObject(outcome.result)).finish() : null;
        addLinks(op, outcome.links ?? []);
      } else {
        st.failure = FailureMsg.encode(FailureMsg.fromObject(outcome.failure)).finish();
      }
    },
    cancellationResult() {
      // Kept in the cancellation state; Describe shows it.
    },
};

function addLinks(op: OperationComponent, links: readonly NexusLink[]): void {
  const st = op.state.standalone!;
  for (const l of links) {
    const b = toTemporalLink(l);
    if (b) st.links = [...st.links, b];
  }
}

