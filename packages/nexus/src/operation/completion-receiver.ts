import { NotFoundError, type CompletionOutcome, type CompletionReceiver, type Engine } from '@chasm/core';
import { Workflow } from '@chasm/workflow';
import type { Logger } from 'pino';
import type { NexusMetrics } from '../metrics.js';
import { temporalProto } from '../proto.js';
import { decodeCallbackData } from './callback-data.js';
import { NexusOperation, operationTarget, PENDING } from './operation.js';
import { completedByCallback } from './operation-machine.js';
import type { OperationOutcome } from './operation-owner.js';
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
export function operationCompletionReceiver(engine: Engine, logger?: Logger, metrics?: NexusMetrics): CompletionReceiver {
  return {
    archetype: Workflow.name,
    // Handler workers attach these (temporal://system); the request id in the token is the secret checked below.
    external: true,
    async receive(target, outcome) {
      const data = decodeCallbackData(target.data);
      if (!data) throw new NotFoundError('operation not found');
      try {
        await engine.update({ type: Workflow, namespaceId: target.namespaceId, businessId: target.businessId, runId: target.runId }, (wf, ctx) => {
          if (wf.state.status !== 'running') throw new NotFoundError('workflow execution already completed');
          const op = operationsOf(wf)?.fields.operations.get(String(data.scheduledEventId));
          if (!op || op.state.requestId !== data.requestId || !PENDING.has(op.state.status)) throw new NotFoundError('operation not found');
          completedByCallback(op, ctx, operationOutcomeOf(outcome), '', Math.min(outcome.closeTime.getTime(), ctx.now.getTime()));
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
export function standaloneCompletionReceiver(engine: Engine, logger?: Logger, metrics?: NexusMetrics): CompletionReceiver {
  return {
    archetype: NexusOperation.name,
    external: true,
    async receive(target, outcome) {
      const data = decodeCallbackData(target.data);
      if (!data) throw new NotFoundError('operation not found');
      try {
        await engine.update(operationTarget(target.namespaceId, target.businessId, target.runId), (op, ctx) => {
          if (op.state.requestId !== data.requestId || !PENDING.has(op.state.status)) throw new NotFoundError('operation not found');
          completedByCallback(op, ctx, operationOutcomeOf(outcome), '', Math.min(outcome.closeTime.getTime(), ctx.now.getTime()));
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
