/**
 * What the workflow RPCs do when a request or a run passes a size limit: a warn line (ids and
 * sizes only, never payloads) and a metric below the error limit, a forced termination above it.
 * Apart from the handler files because start, signal and workflow-task handlers all apply them.
 */
import { ChasmError, ErrorCode, type MutableContext } from '@chasm/core';
import type { WorkflowConfig } from '../config.js';
import type { temporal } from '../proto.js';
import type { WorkflowDeps } from '../workflow/deps.js';
import { HISTORY_SERVICE_IDENTITY, RUN_LIMIT_LABEL, type HistoryLimitExceeded, type HistoryWarn } from '../workflow/history-limits.js';
import { HistoryWriter } from '../workflow/history-writer.js';
import { terminateWorkflow } from '../workflow/mutable-state.js';
import type { WorkflowComponent } from '../workflow/workflow.js';
import type { target } from './run-target.js';
import { memoOverLimit, payloadsOverLimit } from './validate.js';

/**
 * Payloads and memos accepted but above limit.blobSize.warn / limit.memoSize.warn: a warn line
 * (ids and sizes only) and a metric, as Temporal's CheckEventBlobSizeLimit.
 */
export function warnLargeInput(
  deps: WorkflowDeps,
  namespace: string,
  workflowId: string,
  limits: WorkflowConfig,
  blobs: Readonly<Record<string, temporal.api.common.v1.IPayloads | null | undefined>>,
  memo?: temporal.api.common.v1.IMemo | null,
): void {
  for (const [field, p] of Object.entries(blobs)) {
    if (!payloadsOverLimit(p, limits.blobSizeWarnBytes)) continue;
    deps.metrics?.limits.inc({ limit: 'blob_size', level: 'warn' });
    deps.logger?.warn({ namespace, workflowId, field, warnLimit: limits.blobSizeWarnBytes }, 'blob size exceeds warn limit');
  }
  if (memoOverLimit(memo, limits.memoSizeWarnBytes)) {
    deps.metrics?.limits.inc({ limit: 'memo_size', level: 'warn' });
    deps.logger?.warn({ namespace, workflowId, field: 'memo', warnLimit: limits.memoSizeWarnBytes }, 'memo size exceeds warn limit');
  }
}

/** Logs (ids and numbers only) and counts a run whose history passed a warn limit. */
export function historyWarn(deps: WorkflowDeps, wf: WorkflowComponent): HistoryWarn {
  return (limit, value) => {
    deps.metrics?.limits.inc({ limit: RUN_LIMIT_LABEL[limit], level: 'warn' });
    deps.logger?.warn({ workflowId: wf.state.workflowId, runId: wf.state.runId, limit, value }, `${RUN_LIMIT_LABEL[limit]} exceeds warn limit`);
  };
}

/**
 * The change that took the run past a history error limit was rolled back; the run is
 * terminated instead (Temporal's forceTerminateWorkflow) and the caller told why.
 */
export async function terminateOverLimit(
  deps: WorkflowDeps,
  t: ReturnType<typeof target>,
  e: HistoryLimitExceeded,
  /** A refused completion: puts back the start it held in memory (ADR 0064), so that its task is failed by the termination. */
  before?: (wf: WorkflowComponent, ctx: MutableContext) => void,
): Promise<Error> {
  const r = await deps.engine.update(t, (wf, ctx) => {
    before?.(wf, ctx);
    const w = new HistoryWriter(wf, ctx);
    terminateWorkflow(w, e.reason, null, HISTORY_SERVICE_IDENTITY);
    w.commit();
    return { workflowId: wf.state.workflowId, runId: wf.state.runId, events: wf.state.nextEventId - 1, bytes: wf.state.historySizeBytes, stateBytes: ctx.stateBytes };
  });
  deps.metrics?.limits.inc({ limit: RUN_LIMIT_LABEL[e.limit], level: 'error' });
  deps.logger?.warn(r.output, `${RUN_LIMIT_LABEL[e.limit]} exceeds error limit; workflow terminated`);
  return new ChasmError(ErrorCode.InvalidArgument, e.reason);
}
