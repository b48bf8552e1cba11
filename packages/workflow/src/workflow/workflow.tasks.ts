import { lib } from '../library-builder.js';
import { StickyWorkerUnavailableError, type TaskPriority } from '@chasm/matching';
import { depsOf } from './deps.js';
import { HistoryWriter } from './history-writer.js';
import {
  closeOnRunTimeout,
  fireTimer,
  scheduleWorkflowTask,
  timeoutWorkflowTask,
} from './mutable-state.js';
import { closeWithNextRun } from './next-run.js';
import { cronNextRunOnTimeout } from './cron.js';
import { encodeMatchingPayload } from './task-token.js';
import { Workflow, type WorkflowState } from './workflow.js';

export interface DispatchWorkflowTaskPayload {
  readonly stamp: number;
  readonly queue: string;
  readonly kind: 'normal' | 'sticky';
  readonly normalQueue: string;
  /** The run's priority; absent = default (and in tasks written before it was passed on). */
  readonly priority?: TaskPriority;
}

/** The dispatch of the run's current workflow task (`s.wft` set): its stamp and queue, the run's normal queue and priority. */
export function dispatchOf(s: WorkflowState): DispatchWorkflowTaskPayload {
  const t = s.wft!;
  return { stamp: t.stamp, queue: t.queueName, kind: t.queueKind, normalQueue: s.taskQueue, ...(s.priority ? { priority: s.priority } : {}) };
}

/** Hands a scheduled workflow task to matching (sticky queue first, normal queue as fallback). */
export const DispatchWorkflowTask = lib.sideEffectTask<typeof Workflow, DispatchWorkflowTaskPayload>({
  name: 'dispatchWorkflowTask',
  component: Workflow,
  validate: (_ctx, wf, p) => wf.state.status === 'running' && wf.state.wft?.stamp === p.stamp && wf.state.wft.startedEventId === 0,
  async execute(ctx, ref, p) {
    const { matching } = depsOf(ctx.engine);
    const payload = encodeMatchingPayload({ k: 'w', wf: ref.businessId, run: ref.runId, stamp: p.stamp });
    if (p.kind === 'sticky') {
      try {
        await matching.addTask({
          namespaceId: ref.namespaceId,
          taskQueue: { name: p.queue, kind: 'sticky', normalName: p.normalQueue },
          type: 'workflow',
          payload,
          ...(p.priority ? { priority: p.priority } : {}),
        });
        return;
      } catch (e) {
        if (!(e instanceof StickyWorkerUnavailableError)) throw e;
      }
    }
    await matching.addTask({ namespaceId: ref.namespaceId, taskQueue: { name: p.normalQueue, kind: 'normal' }, type: 'workflow', payload, ...(p.priority ? { priority: p.priority } : {}) });
  },
});

export interface WorkflowTaskTimeoutPayload {
  readonly stamp: number;
  readonly kind: 'startToClose' | 'scheduleToStart';
}

/** Start-to-close of a started task; schedule-to-start of a task on a sticky queue. */
export const WorkflowTaskTimeout = lib.pureTask<typeof Workflow, WorkflowTaskTimeoutPayload>({
  name: 'workflowTaskTimeout',
  component: Workflow,
  validate: (_ctx, wf, p) => {
    const t = wf.state.wft;
    if (wf.state.status !== 'running' || t?.stamp !== p.stamp) return false;
    return p.kind === 'startToClose' ? t.startedEventId > 0 : t.startedEventId === 0;
  },
  execute(ctx, wf, p) {
    const w = new HistoryWriter(wf, ctx);
    timeoutWorkflowTask(w, p.kind);
    w.commit();
  },
});

export interface WorkflowTaskStartGuardPayload {
  readonly stamp: number;
  /** `Context.memoryEpoch` when the task was scheduled (ADR 0067); absent in rows written before. */
  readonly epoch?: string;
}

/**
 * The start guard of a stored normal-queue workflow task (ADR 0064), at its start-to-close
 * timeout after it was scheduled. A poller may start the task in memory only before this fires
 * (lazy-start.ts); the transaction running it first settles such a start (so a started task
 * makes it invalid: the start gets written, with its start-to-close timer). Finding the task not
 * started, the guard ends the window either way, and if a start may have been lost (the memory
 * epoch changed since the task was scheduled: a restart, a failed commit, a lost shard; ADR 0067)
 * it offers the task again under a new stamp, so the lost start's token and any copy still in a
 * backlog are stale. An eviction loses nothing: a run holding a start in memory is not evicted.
 */
export const WorkflowTaskStartGuard = lib.pureTask<typeof Workflow, WorkflowTaskStartGuardPayload>({
  name: 'workflowTaskStartGuard',
  component: Workflow,
  validate: (_ctx, wf, p) => {
    const t = wf.state.wft;
    return wf.state.status === 'running' && t?.stamp === p.stamp && t.startedEventId === 0 && t.startGuardAt !== undefined;
  },
  // At the epoch it was scheduled in, the guard is invalid (started, closed) or returns at once:
  // the engine skips loading an evicted run for it (ADR 0069).
  idleAtEpoch: (p) => p.epoch,
  execute(ctx, wf, p) {
    const s = wf.state;
    const t = s.wft!;
    // Still waiting in a backlog, nothing lost: the window is closed by time alone
    // (`canStartLazily` compares with startGuardAt), so the guard changes nothing and costs no
    // write (the engine deletes its row in a batch). It used to delete startGuardAt, one commit
    // per queued task: with a backlog, a commit for every waiting task at its guard's time.
    if (p.epoch === ctx.memoryEpoch) return;
    delete t.startGuardAt;
    t.stamp = ++s.wftStamp;
    ctx.addTask(wf, DispatchWorkflowTask, dispatchOf(s));
  },
});

export interface TimerFirePayload {
  readonly timerId: string;
  readonly stamp: number;
}

export const TimerFire = lib.pureTask<typeof Workflow, TimerFirePayload>({
  name: 'timerFire',
  component: Workflow,
  validate: (_ctx, wf, p) => wf.state.status === 'running' && wf.state.timers[p.timerId]?.stamp === p.stamp,
  execute(ctx, wf, p) {
    const w = new HistoryWriter(wf, ctx);
    fireTimer(w, p.timerId);
    w.commit();
  },
});

/** Ends a start delay or retry/continue-as-new backoff: the first workflow task is scheduled. */
export const WorkflowBackoff = lib.pureTask<typeof Workflow, Record<string, never>>({
  name: 'backoff',
  component: Workflow,
  validate: (_ctx, wf) => wf.state.status === 'running' && wf.state.backoffUntil !== null,
  execute(ctx, wf) {
    wf.state.backoffUntil = null;
    const w = new HistoryWriter(wf, ctx);
    scheduleWorkflowTask(w);
    w.commit();
  },
});

/**
 * The run timeout (workflow_run_timeout, capped by the execution timeout). A cron run that times
 * out before the chain's execution timeout is followed by the chain's next run (Temporal's
 * executeWorkflowRunTimeoutTask).
 */
export const RunTimeout = lib.pureTask<typeof Workflow, Record<string, never>>({
  name: 'runTimeout',
  component: Workflow,
  validate: (_ctx, wf) => wf.state.status === 'running',
  execute(ctx, wf) {
    const w = new HistoryWriter(wf, ctx);
    const next = cronNextRunOnTimeout(w);
    closeOnRunTimeout(w, next?.runId);
    if (next) closeWithNextRun(w, next);
    w.commit();
  },
});
