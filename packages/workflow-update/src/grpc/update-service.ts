import { NotFoundError, type Engine, type RpcCallContext } from '@chasm/core';
import { speculativeUpdateWithHandoff, Workflow } from '@chasm/workflow';
import type { Logger } from 'pino';
import type { WorkflowUpdateConfig } from '../config.js';
import { abortedByClose, InFlightLimitError, InFlightPayloadLimitError, TotalLimitError, updateNotFound } from '../errors.js';
import type { WorkflowUpdateMetrics } from '../metrics.js';
import { Stage, type temporal } from '../proto.js';
import { admitUpdate, findUpdate, observe, type Observed } from '../update/registry.js';
import type { ValidUpdate } from './update-request.js';

type UpdateResponse = temporal.api.workflowservice.v1.IUpdateWorkflowExecutionResponse;

export interface UpdateServiceDeps {
  readonly engine: Engine;
  readonly config: WorkflowUpdateConfig;
  readonly logger: Logger | undefined;
  readonly metrics: WorkflowUpdateMetrics | undefined;
}

const STAGE_NAME: Record<number, string> = {
  [Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED]: 'admitted',
  [Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED]: 'accepted',
  [Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED]: 'completed',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Admission and waiting, shared by UpdateWorkflowExecution and update-with-start. */
export class UpdateService {
  constructor(private readonly deps: UpdateServiceDeps) {}

  private target(namespaceId: string, workflowId: string, runId: string) {
    return { type: Workflow, namespaceId, businessId: workflowId, ...(runId ? { runId } : {}) };
  }

  /**
   * The soft timeout: answer with the stage reached shortly before the caller gives up, and
   * after `longPollMs` at most, so the client re-sends or polls instead of seeing an error.
   */
  softDeadline(call: RpcCallContext): Date {
    const cap = Date.now() + this.deps.config.longPollMs;
    const callEnd = call.deadline ? call.deadline.getTime() - this.deps.config.deadlineMarginMs : cap;
    return new Date(Math.max(Date.now(), Math.min(cap, callEnd)));
  }

  /** UpdateWorkflowExecution: admit (or join) the update, then wait for the requested stage. */
  async update(namespaceId: string, u: ValidUpdate, call: RpcCallContext): Promise<UpdateResponse> {
    const started = performance.now();
    const deadline = this.softDeadline(call);
    let runId = u.runId;
    for (;;) {
      let admitted;
      const speculative = this.deps.config.speculativeTasks;
      try {
        // Speculative: the admission stays in memory until the worker's answer is committed (an
        // update is durable once accepted, as in Temporal); a lost one is admitted again below.
        // Its task is started for a waiting poller by the same transaction (ADR 0053), or else
        // offered to matching after it and started by the poll's accept hook.
        admitted = speculative
          ? await speculativeUpdateWithHandoff(
              this.deps.engine,
              { namespaceId, workflowId: u.workflowId, runId },
              (wf, ctx) => admitUpdate(wf, ctx, u.request, u.firstExecutionRunId, this.deps.config, true),
              (out) => out.dispatch,
            )
          : await this.deps.engine.update(this.target(namespaceId, u.workflowId, runId), (wf, ctx) =>
              admitUpdate(wf, ctx, u.request, u.firstExecutionRunId, this.deps.config),
            );
      } catch (e) {
        // The next run of a chain is started by a task after the old run closed: give it a moment.
        if (e instanceof NotFoundError && runId !== u.runId && Date.now() < deadline.getTime()) {
          await sleep(20);
          continue;
        }
        if (e instanceof InFlightLimitError || e instanceof InFlightPayloadLimitError || e instanceof TotalLimitError) {
          const limit = e instanceof InFlightLimitError ? 'in_flight' : e instanceof InFlightPayloadLimitError ? 'in_flight_bytes' : 'total';
          this.deps.metrics?.limited.inc({ limit });
          this.deps.logger?.info({ workflowId: u.workflowId, runId, updateId: u.updateId, limit: e.limit }, `update refused: ${limit} limit`);
        }
        throw e;
      }
      runId = admitted.output.runId;
      if (admitted.output.admitted) {
        this.deps.metrics?.admitted.inc();
        this.deps.logger?.debug({ workflowId: u.workflowId, runId, updateId: u.updateId }, 'update admitted');
      } else {
        this.deps.metrics?.deduplicated.inc();
      }
      let seen = await this.waitFor(namespaceId, u.workflowId, runId, u.updateId, u.waitStage, deadline, call);
      if (speculative && seen.kind === 'stage' && seen.stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
        // Answering ADMITTED acknowledges the admission: it is written first (the commit settles
        // the speculative task into a stored one), admitted again if it was lost meanwhile.
        seen = await this.makeDurable(namespaceId, u, runId);
      }
      if (seen.kind === 'gone') {
        // Dropped unaccepted because the run closed. Continue-as-new and retries hand it to the next run
        // (Temporal retries internally with ErrWorkflowClosing); a pinned run id cannot follow.
        if (seen.nextRunId && !u.runId && Date.now() < deadline.getTime()) {
          runId = seen.nextRunId;
          continue;
        }
        // Still running: a speculative admission was lost with the cached run (evicted or
        // reloaded before anything was written). Admitted again, as Temporal retries it.
        if (!seen.closed && Date.now() < deadline.getTime()) {
          this.deps.metrics?.readmitted.inc();
          continue;
        }
        this.deps.metrics?.outcomes.inc({ outcome: 'aborted' });
        this.deps.logger?.info({ workflowId: u.workflowId, runId, updateId: u.updateId }, 'update aborted: the run closed before accepting it');
        throw seen.closed ? abortedByClose() : updateNotFound(u.updateId);
      }
      if (admitted.output.admitted && seen.outcome) {
        const outcome = seen.outcome.success ? 'success' : 'failure';
        this.deps.metrics?.outcomes.inc({ outcome });
        this.deps.logger?.debug({ workflowId: u.workflowId, runId, updateId: u.updateId, outcome }, 'update completed');
      }
      this.deps.metrics?.latency.observe({ stage: STAGE_NAME[seen.stage] ?? 'unspecified' }, (performance.now() - started) / 1000);
      return {
        updateRef: { workflowExecution: { workflowId: u.workflowId, runId }, updateId: u.updateId },
        stage: seen.stage,
        ...(seen.outcome ? { outcome: seen.outcome } : {}),
      };
    }
  }

  /** A committing transaction that holds the update admitted (or further), written. */
  private async makeDurable(namespaceId: string, u: ValidUpdate, runId: string): Promise<Observed> {
    const r = await this.deps.engine.update(this.target(namespaceId, u.workflowId, runId), (wf, ctx) => {
      if (wf.state.status === 'running' && !findUpdate(wf, u.updateId)) admitUpdate(wf, ctx, u.request, u.firstExecutionRunId, this.deps.config);
      return observe(wf, u.updateId);
    });
    return r.output;
  }

  /**
   * Waits until the update reaches `stage` (or is gone), answering the stage reached so far at
   * the deadline. The poll re-evaluates after each commit of the run, i.e. only once the
   * worker's completion is durable.
   */
  async waitFor(
    namespaceId: string,
    workflowId: string,
    runId: string,
    updateId: string,
    stage: number,
    deadline: Date,
    call: RpcCallContext,
  ): Promise<Observed> {
    const t = this.target(namespaceId, workflowId, runId);
    const r = await this.deps.engine.poll(
      t,
      (wf) => {
        const seen = observe(wf, updateId);
        return seen.kind === 'gone' || seen.stage >= stage ? seen : undefined;
      },
      { deadline, signal: call.signal },
    );
    if (r.value) return r.value;
    return this.deps.engine.read(t, (wf) => observe(wf, updateId));
  }

  /** PollWorkflowExecutionUpdate: without a wait stage, the current stage at once. */
  async poll(
    namespaceId: string,
    req: temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateRequest,
    call: RpcCallContext,
  ): Promise<temporal.api.workflowservice.v1.IPollWorkflowExecutionUpdateResponse> {
    const ref = req.updateRef;
    const workflowId = ref?.workflowExecution?.workflowId ?? '';
    const runId = ref?.workflowExecution?.runId ?? '';
    const updateId = ref?.updateId ?? '';
    const stage = req.waitPolicy?.lifecycleStage ?? Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
    const t = this.target(namespaceId, workflowId, runId);
    // Pin the run first, so a continue-as-new during the wait cannot switch runs under us.
    const pinned = runId || (await this.deps.engine.read(t, (wf) => wf.state.runId));
    const seen =
      stage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED
        ? await this.deps.engine.read(this.target(namespaceId, workflowId, pinned), (wf) => observe(wf, updateId))
        : await this.waitFor(namespaceId, workflowId, pinned, updateId, stage, this.softDeadline(call), call);
    if (seen.kind === 'gone') throw updateNotFound(updateId);
    return {
      updateRef: { workflowExecution: { workflowId, runId: pinned }, updateId },
      stage: seen.stage,
      ...(seen.outcome ? { outcome: seen.outcome } : {}),
    };
  }
}
