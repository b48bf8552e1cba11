import { ChasmError, ErrorCode, WORKFLOW_SERVICE, type ServiceClient } from '@chasm/core';
import type { Logger } from 'pino';
import type { SchedulerMetrics } from '../metrics.js';

/** One StartWorkflowExecution to issue, and the buffered start it is for. */
export interface StartWork {
  readonly requestId: string;
  readonly workflowId: string;
  readonly request: object;
}

export type StartResult = { readonly requestId: string; readonly workflowId: string } & (
  | { readonly ok: true; readonly runId: string }
  | { readonly ok: false; readonly retryable: boolean; readonly message: string }
);

export interface StartDeps {
  readonly services: ServiceClient;
  readonly logger?: Logger;
  readonly metrics?: SchedulerMetrics;
}

/** Temporal's non-retryable start errors (reference A.6); anything else is tried again later. */
const NON_RETRYABLE: ReadonlySet<string> = new Set([ErrorCode.NotFound, ErrorCode.InvalidArgument, ErrorCode.AlreadyExists]);

/** Issues the starts one after another through the installed WorkflowService. */
export async function runStarts(deps: StartDeps, scheduleId: string, starts: readonly StartWork[], signal: AbortSignal): Promise<StartResult[]> {
  const results: StartResult[] = [];
  for (const s of starts) {
    try {
      const res = (await deps.services.call(WORKFLOW_SERVICE, 'StartWorkflowExecution', s.request, { signal })) as { runId?: string };
      results.push({ requestId: s.requestId, workflowId: s.workflowId, ok: true, runId: res.runId ?? '' });
      deps.metrics?.actions.inc({ outcome: 'started' });
    } catch (e) {
      const retryable = !(ChasmError.is(e) && NON_RETRYABLE.has(e.code));
      const message = e instanceof Error ? e.message : String(e);
      results.push({ requestId: s.requestId, workflowId: s.workflowId, ok: false, retryable, message });
      deps.metrics?.actions.inc({ outcome: retryable ? 'retry' : 'dropped' });
      deps.logger?.[retryable ? 'warn' : 'info']({ scheduleId, code: ChasmError.is(e) ? e.code : undefined, message }, 'schedule start failed');
    }
  }
  return results;
}
