import { WORKFLOW_SERVICE, type ComponentRef, type ServiceClient, type SideEffectContext } from '@chasm/core';
import type { Logger } from 'pino';
import type { BatchConfig } from '../config.js';
import type { BatchMetrics } from '../metrics.js';
import { library } from '../library.js';
import { applyOperation, type Outcome } from './apply-operation.js';
import { Batch, type BatchComponent, type BatchState, type BatchTarget } from './batch.js';
import { BatchTransitions, finished, recordPage, recordSlice, type PageRead } from './batch.transitions.js';

export interface ProcessDeps {
  readonly services: ServiceClient;
  readonly config: Pick<BatchConfig, 'pageSize' | 'concurrency'>;
  readonly metrics?: BatchMetrics;
  readonly logger?: Logger;
}

/**
 * The processing task carries the stamp it was armed with. Every recorded step bumps the stamp
 * (so does a stop), so a task whose step was already recorded is stale: after a kill -9 the task
 * that just committed its step may still be in the table next to the one it armed, and must not
 * run that step again (two chains would each drop a slice from `pending`, counting the
 * executions of one without ever reaching them).
 */
export interface ProcessPayload {
  readonly stamp: number;
}

type Snapshot = Pick<BatchState, 'jobId' | 'namespace' | 'kind' | 'operation' | 'reason' | 'listQuery' | 'rps' | 'pending' | 'pageToken' | 'exhausted' | 'state' | 'stamp'>;

/**
 * One step of the batch, then the next step is armed in the same commit: fetch a page of the
 * query's executions (recorded with the cursor after it), or apply the operation to a slice of
 * the pending ones at the rate limit (recorded with the counts). Each step commits before the
 * next begins, so a crash repeats at most the step in flight (see BatchState.pending).
 */
export function processTaskType(deps: ProcessDeps) {
  return library.sideEffectTask<typeof Batch, ProcessPayload>({
    name: 'process',
    component: Batch,
    validate: (_ctx, c, p) => c.state.state === 'running' && c.state.stamp === p.stamp,
    async execute(ctx, ref, p) {
      const snap = await ctx.engine.read(ref, (c) => snapshot(c as BatchComponent));
      if (snap.state !== 'running' || snap.stamp !== p.stamp) return;
      if (snap.pending.length === 0 && !snap.exhausted) {
        const page = await fetchPage(deps, snap, ctx.signal);
        await commit(ctx, ref, p.stamp, (c) => recordPage(c, page));
        return;
      }
      const slice = await applySlice(deps, snap, ctx);
      const recorded = await commit(ctx, ref, p.stamp, (c) => recordSlice(c, slice));
      if (!recorded) return;
      deps.metrics?.processed.inc({ operation: snap.kind, outcome: 'complete' }, slice.complete);
      deps.metrics?.processed.inc({ operation: snap.kind, outcome: 'failure' }, slice.failure);
    },
  });
}

function snapshot(c: BatchComponent): Snapshot {
  const s = c.state;
  return {
    jobId: s.jobId,
    namespace: s.namespace,
    kind: s.kind,
    operation: s.operation,
    reason: s.reason,
    listQuery: s.listQuery,
    rps: s.rps,
    pending: s.pending,
    pageToken: s.pageToken,
    exhausted: s.exhausted,
    state: s.state,
    stamp: s.stamp,
  };
}

/**
 * Records the step and bumps the stamp, then completes the batch or arms the next step. Records
 * nothing (false) when the stamp moved since the step began: stopped, or the step was recorded by
 * another run of the same task.
 */
async function commit(ctx: SideEffectContext, ref: ComponentRef, stamp: number, record: (c: BatchComponent) => void): Promise<boolean> {
  const { output } = await ctx.engine.update(ref, (c, uctx) => {
    const batch = c as BatchComponent;
    if (batch.state.state !== 'running' || batch.state.stamp !== stamp) return false;
    record(batch);
    batch.state.stamp += 1;
    if (finished(batch)) BatchTransitions.complete.apply(batch, uctx, undefined);
    else uctx.addTask(batch, ProcessBatch, { stamp: batch.state.stamp });
    return true;
  });
  return output;
}

interface ListResponse {
  readonly executions?: readonly { readonly execution?: { readonly workflowId?: string | null; readonly runId?: string | null } | null }[] | null;
  readonly nextPageToken?: Uint8Array | null;
}

async function fetchPage(deps: ProcessDeps, snap: Snapshot, signal: AbortSignal): Promise<PageRead> {
  const res = await deps.services.call<ListResponse>(
    WORKFLOW_SERVICE,
    'ListWorkflowExecutions',
    {
      namespace: snap.namespace,
      query: snap.listQuery,
      pageSize: deps.config.pageSize,
      ...(snap.pageToken !== null ? { nextPageToken: Buffer.from(snap.pageToken, 'base64') } : {}),
    },
    { signal },
  );
  const executions: BatchTarget[] = (res.executions ?? []).map((e) => ({ workflowId: e.execution?.workflowId ?? '', runId: e.execution?.runId ?? '' }));
  const next = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString('base64') : null;
  return { executions, nextPageToken: next };
}

/**
 * Applies the operation to about one second's worth of the pending executions (rps of them),
 * `concurrency` at a time, each started no earlier than its slot at the rate limit.
 */
async function applySlice(deps: ProcessDeps, snap: Snapshot, ctx: SideEffectContext): Promise<{ handled: number; complete: number; failure: number }> {
  const items = snap.pending.slice(0, Math.max(1, Math.ceil(snap.rps)));
  const interval = 1000 / snap.rps;
  const t0 = Date.now();
  const outcomes: Outcome[] = new Array<Outcome>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      const wait = t0 + i * interval - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const r = await applyOperation(deps.services, snap, items[i]!, ctx.signal);
      if (r.outcome === 'failure') deps.logger?.warn({ jobId: snap.jobId, workflowId: items[i]!.workflowId, code: r.code }, 'batch operation failed on an execution');
      // Counted as done, but worth seeing: normal for a step repeated after a crash, suspicious
      // for a first attempt (a CI run once ended with 1000 done and 400 never terminated).
      else if (r.code) deps.logger?.info({ jobId: snap.jobId, workflowId: items[i]!.workflowId, code: r.code }, 'batch target closed or gone; counted as done');
      outcomes[i] = r.outcome;
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.config.concurrency, items.length) }, worker));
  // The slice lasts its share of the rate, so the next one does not start early.
  const rest = t0 + items.length * interval - Date.now();
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  const complete = outcomes.filter((o) => o === 'complete').length;
  return { handled: items.length, complete, failure: items.length - complete };
}

const UNWIRED: ProcessDeps = {
  services: { call: () => Promise.reject(new Error('batch tasks are not wired to a ServiceClient (use createBatchLibrary)')) },
  config: { pageSize: 1000, concurrency: 1 },
};

/** The unwired task transitions add; the registry holds the wired one under the same name. */
export const ProcessBatch = processTaskType(UNWIRED);
