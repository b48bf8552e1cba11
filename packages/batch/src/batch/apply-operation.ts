import { createHash } from 'node:crypto';
import { ChasmError, ErrorCode, WORKFLOW_SERVICE, type ServiceClient } from '@chasm/core';
import { decodeMessage, temporalProto } from '@chasm/matching';
import type { BatchOperationKind, BatchState, BatchTarget } from './batch.js';
import { findResetEventId, resetSettings } from './reset-point.js';

const batchApi = temporalProto.temporal.api.batch.v1;

/** What the processing task needs of the state to operate on one execution. */
export type OperationSpec = Pick<BatchState, 'jobId' | 'namespace' | 'kind' | 'operation' | 'reason'>;

export type Outcome = 'complete' | 'failure';

/** Codes worth another try within the slice: the rest are the execution's answer. */
const TRANSIENT: ReadonlySet<string> = new Set([ErrorCode.Unavailable, ErrorCode.ResourceExhausted, ErrorCode.DeadlineExceeded]);
const ATTEMPTS = 3;

/**
 * The request id of the operation on one run: the same after a crash, so a repeated signal or
 * cancel is deduplicated by the workflow instead of applied twice.
 */
export function operationRequestId(jobId: string, t: BatchTarget): string {
  const h = createHash('sha256').update(`batch\0${jobId}\0${t.workflowId}\0${t.runId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

async function request(services: ServiceClient, spec: OperationSpec, t: BatchTarget, signal: AbortSignal): Promise<{ method: string; body: object }> {
  const workflowExecution = { workflowId: t.workflowId, runId: t.runId };
  const namespace = spec.namespace;
  switch (spec.kind satisfies BatchOperationKind) {
    case 'terminate': {
      const op = decodeMessage(batchApi.BatchOperationTermination, spec.operation);
      return {
        method: 'TerminateWorkflowExecution',
        body: { namespace, workflowExecution, reason: spec.reason, identity: op?.identity ?? '', ...(op?.details ? { details: op.details } : {}) },
      };
    }
    case 'cancel': {
      const op = decodeMessage(batchApi.BatchOperationCancellation, spec.operation);
      return {
        method: 'RequestCancelWorkflowExecution',
        body: { namespace, workflowExecution, reason: spec.reason, identity: op?.identity ?? '', requestId: operationRequestId(spec.jobId, t) },
      };
    }
    case 'signal': {
      const op = decodeMessage(batchApi.BatchOperationSignal, spec.operation);
      return {
        method: 'SignalWorkflowExecution',
        body: {
          namespace,
          workflowExecution,
          signalName: op?.signal ?? '',
          identity: op?.identity ?? '',
          requestId: operationRequestId(spec.jobId, t),
          ...(op?.input ? { input: op.input } : {}),
          ...(op?.header ? { header: op.header } : {}),
        },
      };
    }
    case 'delete':
      return { method: 'DeleteWorkflowExecution', body: { namespace, workflowExecution } };
    case 'reset': {
      // The reset point is per run, so it is looked up here, at apply time (as Temporal's batcher does).
      const settings = resetSettings(spec.operation);
      const workflowTaskFinishEventId = await findResetEventId(services, namespace, t, settings.point, signal);
      return {
        method: 'ResetWorkflowExecution',
        body: {
          namespace,
          workflowExecution,
          reason: spec.reason,
          workflowTaskFinishEventId,
          // The new run's request id: a step repeated after a crash gets the run it created back.
          requestId: operationRequestId(spec.jobId, t),
          resetReapplyType: settings.resetReapplyType,
          resetReapplyExcludeTypes: settings.resetReapplyExcludeTypes,
        },
      };
    }
  }
}

/**
 * Applies the operation to one execution through the installed WorkflowService. NotFound counts
 * as done, as in Temporal's batcher: the run is closed or gone, which is what a repeat after a
 * crash finds. Transient errors are tried again a few times; any other error is a failure.
 */
export async function applyOperation(services: ServiceClient, spec: OperationSpec, t: BatchTarget, signal: AbortSignal): Promise<{ outcome: Outcome; code?: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { method, body } = await request(services, spec, t, signal);
      await services.call(WORKFLOW_SERVICE, method, body, { signal });
      return { outcome: 'complete' };
    } catch (e) {
      const code = ChasmError.is(e) ? e.code : ErrorCode.Internal;
      if (code === ErrorCode.NotFound) return { outcome: 'complete', code };
      if (signal.aborted) throw e;
      if (!TRANSIENT.has(code) || attempt >= ATTEMPTS) return { outcome: 'failure', code };
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}
