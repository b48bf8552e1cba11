import { NotFoundError, type CompletionOutcome, type CompletionReceiver, type Engine, type InternalCallbackTarget } from '@chasm/core';
import { Workflow } from '@chasm/workflow';
import type { Logger } from 'pino';
import type { NexusMetrics } from '../metrics.js';
import { temporalProto } from '../proto.js';
import { decodeCallbackData } from './callback-data.js';
import { NexusOperation, operationTarget, PENDING } from './operation.js';
import { completedByCallback } from './operation-machine.js';
import type { NexusLink, OperationOutcome } from './operation-owner.js';

/**
 * What a Nexus completion may say about the start (the `nexus-operation-token`,
 * `nexus-operation-start-time` and `nexus-link` headers of the HTTP callback URL): used when the
 * completion beats the start response (reference C.5).
 */
export interface CompletionStartInfo {
  readonly operationToken?: string;
  readonly startTime?: Date;
  readonly links?: readonly NexusLink[];
}

/** A receiver that also takes the start information an HTTP completion carries. */
export interface OperationCompletionReceiver extends CompletionReceiver {
  receive(target: InternalCallbackTarget, outcome: CompletionOutcome, start?: CompletionStartInfo): Promise<void>;
}

/** The start time recorded when a completion starts the operation too: the completion's, else its close time, never after now. */
function startTimeOf(outcome: CompletionOutcome, start: CompletionStartInfo | undefined, now: Date): number {
  return Math.min((start?.startTime ?? outcome.closeTime).getTime(), now.getTime());
}
import { operationsOf } from './workflow-extension.js';

const Payloads = temporalProto.temporal.api.common.v1.Payloads;
const FailureMsg = temporalProto.temporal.api.failure.v1.Failure;

/** The handler's run outcome as the operation's (reference C.7: the first result payload). */
function operationOutcomeOf(o: CompletionOutcome): OperationOutcome {
  if (o.status === 'completed') return { kind: 'succeeded', result: o.result ? (Payloads.decode(o.result).payloads[0] ?? null) : null };
  const failure = o.failure ? FailureMsg.toObject(FailureMsg.decode(o.failure)) : { message: `operation ${o.status}` };
  return { kind: o.status === 'canceled' ? 'canceled' : 'failed', failure };
}

/**
 * Receives the completion callbacks of the runs handlers start for workflow-owned operations
 * (reference C.5): the internal token names the caller's run, the operation's scheduled event id
 * and its request id. A closed caller, an unknown operation or a repeat is NotFound: the
 * delivery stops (the outcome was applied, or nobody waits for it).
 */
export function operationCompletionReceiver(engine: Engine, logger?: Logger, metrics?: NexusMetrics): OperationCompletionReceiver {
  return {
    archetype: Workflow.name,
    // Handler workers attach these (temporal://system); the request id in the token is the secret checked below.
    external: true,
    async receive(target, outcome, start) {
      const data = decodeCallbackData(target.data);
      if (!data) throw new NotFoundError('operation not found');
      try {
        await engine.update({ type: Workflow, namespaceId: target.namespaceId, businessId: target.businessId, runId: target.runId }, (wf, ctx) => {
          if (wf.state.status !== 'running') throw new NotFoundError('workflow execution already completed');
          const op = operationsOf(wf)?.fields.operations.get(String(data.scheduledEventId));
          if (!op || op.state.requestId !== data.requestId || !PENDING.has(op.state.status)) throw new NotFoundError('operation not found');
          completedByCallback(op, ctx, operationOutcomeOf(outcome), start?.operationToken ?? '', startTimeOf(outcome, start, ctx.now), start?.links ?? []);
        });
        metrics?.callbackCompletions.inc({ outcome: outcome.status });
      } catch (e) {
        metrics?.callbackCompletions.inc({ outcome: 'rejected' });
        logger?.debug({ workflowId: target.businessId, scheduledEventId: data.scheduledEventId, err: e instanceof Error ? e.message : String(e) }, 'nexus completion refused');
        throw e;
      }
    },
  };
}

/** Receives the completion callbacks of the runs handlers start for standalone operations. */
export function standaloneCompletionReceiver(engine: Engine, logger?: Logger, metrics?: NexusMetrics): OperationCompletionReceiver {
  return {
    archetype: NexusOperation.name,
    external: true,
    async receive(target, outcome, start) {
      const data = decodeCallbackData(target.data);
      if (!data) throw new NotFoundError('operation not found');
      try {
        await engine.update(operationTarget(target.namespaceId, target.businessId, target.runId), (op, ctx) => {
          if (op.state.requestId !== data.requestId || !PENDING.has(op.state.status)) throw new NotFoundError('operation not found');
          completedByCallback(op, ctx, operationOutcomeOf(outcome), start?.operationToken ?? '', startTimeOf(outcome, start, ctx.now), start?.links ?? []);
        });
        metrics?.callbackCompletions.inc({ outcome: outcome.status });
      } catch (e) {
        metrics?.callbackCompletions.inc({ outcome: 'rejected' });
        logger?.debug({ operationId: target.businessId, err: e instanceof Error ? e.message : String(e) }, 'nexus completion refused');
        throw e;
      }
    },
  };
}
