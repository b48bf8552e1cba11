import { type MutableContext, WORKFLOW_SERVICE } from '@chasm/core';
import { decodeMessage, temporalProto } from '@chasm/matching';
import { backfill } from './backfiller/backfill.js';
import { Backfiller, type BackfillerComponent } from './backfiller/backfiller.js';
import { generate, idleDeadline, type GenerateOutcome } from './generator/generate.js';
import { Generator, type GeneratorComponent } from './generator/generator.js';
import { Invoker, type InvokerComponent, type WorkflowRef } from './invoker/invoker.js';
import { hasExecutableWork, nextRetryTime, processBuffer, readyToStart } from './invoker/process-buffer.js';
import { startWorkflowRequest, type StartContext } from './invoker/start-request.js';
import { recordStartResults } from './invoker/record-starts.js';
import { runStarts, type StartDeps, type StartWork } from './invoker/run-starts.js';
import { dueStarts } from './generator/due-starts.js';
import { schedulerIdentity } from './invoker/start-identity.js';
import { lib } from './library-builder.js';
import { Scheduler, type SchedulerComponent } from './scheduler/scheduler.js';
import { refreshSummary } from './scheduler/summary.js';

/** Payload of timers that only the latest arming may fire (null: an immediate task, always valid). */
export interface StampPayload {
  readonly stamp: number | null;
}

const rootOf = (c: GeneratorComponent | InvokerComponent | BackfillerComponent): SchedulerComponent => c.parent(Scheduler) as SchedulerComponent;

/** Generator run: immediately after create, update, patch, completions and backfills; then at each wake-up. */
export const GenerateTask = lib.pureTask<typeof Generator, StampPayload>({
  name: 'generate',
  component: Generator,
  validate: (_ctx, g, p) => p.stamp === null || p.stamp === g.state.timerStamp,
  execute: (ctx, g) => afterGenerate(ctx, rootOf(g), generate(g, ctx)),
});

/** Overlap resolution: immediately when starts were buffered or re-enabled; at a retry's backoff. */
export const ProcessBufferTask = lib.pureTask<typeof Invoker, StampPayload>({
  name: 'processBuffer',
  component: Invoker,
  validate: (_ctx, inv, p) => p.stamp === null || p.stamp === inv.state.retryStamp,
  execute: (ctx, inv) => afterProcess(ctx, inv, processBuffer(inv, ctx).execute),
});

/** A backfiller pass, stamped: a pass that was superseded never runs. */
export const BackfillTask = lib.pureTask<typeof Backfiller, { readonly stamp: number }>({
  name: 'backfill',
  component: Backfiller,
  validate: (_ctx, b, p) => b.state.stamp === p.stamp,
  execute: (ctx, b) => {
    const root = rootOf(b);
    const outcome = backfill(b, ctx);
    const invoker = root.fields.invoker.get() as InvokerComponent;
    if (outcome.buffered) ctx.addTask(invoker, ProcessBufferTask, { stamp: null });
    if (outcome.kind === 'done') {
      requestGenerate(ctx, root);
    } else {
      b.state.stamp++;
      ctx.addTask(b, BackfillTask, { stamp: b.state.stamp }, outcome.at === null ? {} : { at: new Date(outcome.at) });
    }
  },
});

/** Closes an idle schedule at its deadline, unless it was held open or got something to do since. */
export const IdleCloseTask = lib.pureTask<typeof Scheduler, { readonly deadline: number }>({
  name: 'idleClose',
  component: Scheduler,
  validate: (_ctx, root, p) => !root.state.closed && root.state.idleCloseTime === p.deadline && idleDeadline(root) <= p.deadline,
  execute: (_ctx, root) => {
    root.state.closed = true;
  },
});

/** Adds an immediate generator run. */
export function requestGenerate(ctx: MutableContext, root: SchedulerComponent): void {
  ctx.addTask(root.fields.generator.get() as GeneratorComponent, GenerateTask, { stamp: null });
}

function afterGenerate(ctx: MutableContext, root: SchedulerComponent, o: GenerateOutcome): void {
  if (o.buffered) ctx.addTask(root.fields.invoker.get() as InvokerComponent, ProcessBufferTask, { stamp: null });
  armGenerator(ctx, root, o);
}

/** Arms the next wake-up (superseding any armed before: timers carry the stamp) and the idle close. */
function armGenerator(ctx: MutableContext, root: SchedulerComponent, o: GenerateOutcome): void {
  const gen = root.fields.generator.get() as GeneratorComponent;
  gen.state.timerStamp++;
  if (o.wakeAt !== null) ctx.addTask(gen, WakeTask, { stamp: gen.state.timerStamp }, { at: new Date(o.wakeAt) });
  if (o.idleAt !== null) ctx.addTask(root, IdleCloseTask, { deadline: o.idleAt }, { at: new Date(o.idleAt) });
}

/** After the buffer changed: run the execute task, or arm the retry timer of the earliest backoff. */
export function afterProcess(ctx: MutableContext, invoker: InvokerComponent, execute: boolean): void {
  if (execute) {
    ctx.addTask(invoker, ExecuteTask, {});
    return;
  }
  const retryAt = nextRetryTime(invoker);
  if (retryAt !== null) {
    invoker.state.retryStamp++;
    ctx.addTask(invoker, ProcessBufferTask, { stamp: invoker.state.retryStamp }, { at: new Date(retryAt) });
  }
}

export type ExecuteDeps = StartDeps;

interface Work {
  readonly terminates: WorkflowRef[];
  readonly cancels: WorkflowRef[];
  readonly starts: StartWork[];
  readonly namespace: string;
  readonly scheduleId: string;
}

/**
 * Execute (side effect, reference A.6): terminates, cancels and starts workflows through the
 * installed WorkflowService, at most `maxActionsPerExecution` per run; a follow-up task takes the
 * rest. Starts carry deterministic request ids, so a start repeated after a crash is deduplicated.
 */
export function executeTaskType(deps: ExecuteDeps) {
  return lib.sideEffectTask<typeof Invoker, Record<string, never>>({
    name: 'execute',
    component: Invoker,
    validate: (ctx, inv) => hasExecutableWork(inv, ctx.now.getTime()),
    async execute(ctx, ref) {
      const { taskId: _taskId, ...invokerRef } = ref;
      const key = { namespaceId: ref.namespaceId, runId: ref.runId };
      const work = await ctx.engine.read(invokerRef, (c, rctx) => collectWork(c as InvokerComponent, rctx.now.getTime(), key));
      const identity = schedulerIdentity(work.namespace, work.scheduleId);
      const call = (method: string, request: object) => deps.services.call(WORKFLOW_SERVICE, method, request, { signal: ctx.signal });
      // Terminates and cancels are tried once; their errors are ignored (reference A.6).
      for (const w of work.terminates) {
        await call('TerminateWorkflowExecution', {
          namespace: work.namespace,
          workflowExecution: { workflowId: w.workflowId },
          firstExecutionRunId: w.runId,
          reason: 'terminated by schedule overlap policy',
          identity,
        }).catch((e: unknown) => deps.logger?.debug({ err: e, workflowId: w.workflowId }, 'schedule overlap terminate failed'));
      }
      for (const w of work.cancels) {
        await call('RequestCancelWorkflowExecution', {
          namespace: work.namespace,
          workflowExecution: { workflowId: w.workflowId },
          firstExecutionRunId: w.runId,
          reason: 'cancelled by schedule overlap policy',
          identity,
        }).catch((e: unknown) => deps.logger?.debug({ err: e, workflowId: w.workflowId }, 'schedule overlap cancel failed'));
      }
      const results = await runStarts(deps, work.scheduleId, work.starts, ctx.signal);
      await ctx.engine.update(invokerRef, (c, uctx) => {
        const invoker = c as InvokerComponent;
        const inv = invoker.state;
        const done = (list: WorkflowRef[], handled: readonly WorkflowRef[]) => list.filter((w) => !handled.some((h) => h.runId === w.runId));
        inv.terminateWorkflows = done(inv.terminateWorkflows, work.terminates);
        inv.cancelWorkflows = done(inv.cancelWorkflows, work.cancels);
        const root = rootOf(invoker);
        if (recordStartResults(root, invoker, uctx, results)) uctx.addTask(invoker, ProcessBufferTask, { stamp: null });
        refreshSummary(root);
        afterProcess(uctx, invoker, hasExecutableWork(invoker, uctx.now.getTime()));
      });
    },
  });
}

const UNWIRED: StartDeps = {
  services: {
    call: () => Promise.reject(new Error('scheduler tasks are not wired to a ServiceClient (use createSchedulerLibrary)')),
  },
};

/** The unwired execute task transitions add; the registry holds the wired one under the same name. */
export const ExecuteTask = executeTaskType(UNWIRED);

/**
 * The generator's wake-up timer (side effect, stamped). In the common case (`dueStarts`: nothing
 * waiting, the due times all start now) it starts the workflows first, then buffers, resolves and
 * records them in one transaction: one commit per action instead of three (generate, execute,
 * record). Request ids are the ones the transaction computes, so a repeat after a crash is
 * deduplicated by the workflow service. Otherwise it is a plain generator run.
 */
export function wakeTaskType(deps: StartDeps) {
  return lib.sideEffectTask<typeof Generator, { readonly stamp: number }>({
    name: 'wake',
    component: Generator,
    validate: (_ctx, g, p) => p.stamp === g.state.timerStamp,
    async execute(ctx, ref) {
      const { taskId: _taskId, ...genRef } = ref;
      const key = { namespaceId: ref.namespaceId, runId: ref.runId };
      const plan = await ctx.engine.read(genRef, (c, rctx) => {
        const gen = c as GeneratorComponent;
        const root = rootOf(gen);
        const due = dueStarts(root, gen, rctx.now.getTime());
        if (!due) return undefined;
        const sc = startContextOf(root, key);
        return { scheduleId: root.state.scheduleId, starts: due.map((b) => ({ requestId: b.requestId, workflowId: b.workflowId, request: startWorkflowRequest(sc, b) })) };
      });
      const results = plan ? await runStarts(deps, plan.scheduleId, plan.starts, ctx.signal) : [];
      await ctx.engine.update(genRef, (c, uctx) => {
        const gen = c as GeneratorComponent;
        const root = rootOf(gen);
        const invoker = root.fields.invoker.get() as InvokerComponent;
        const outcome = generate(gen, uctx);
        const execute = outcome.buffered ? processBuffer(invoker, uctx).execute : false;
        if (results.length > 0) {
          if (recordStartResults(root, invoker, uctx, results)) uctx.addTask(invoker, ProcessBufferTask, { stamp: null });
          refreshSummary(root);
        }
        armGenerator(uctx, root, outcome);
        afterProcess(uctx, invoker, execute && hasExecutableWork(invoker, uctx.now.getTime()));
      });
    },
  });
}

export const WakeTask = wakeTaskType(UNWIRED);

function startContextOf(root: SchedulerComponent, key: { namespaceId: string; runId: string }): StartContext {
  const s = root.state;
  const action = decodeMessage(temporalProto.temporal.api.schedule.v1.ScheduleAction, root.fields.action.get()?.action ?? null);
  const last = root.fields.lastCompletion.get();
  return {
    namespace: s.namespace,
    scheduleId: s.scheduleId,
    action: action?.startWorkflow ?? {},
    lastSuccess: last?.success ?? null,
    lastFailure: last?.failure ?? null,
    callbackTarget: { namespaceId: key.namespaceId, archetype: Scheduler.name, businessId: s.scheduleId, runId: key.runId },
  };
}

function collectWork(invoker: InvokerComponent, now: number, key: { namespaceId: string; runId: string }): Work {
  const root = rootOf(invoker);
  const s = root.state;
  const inv = invoker.state;
  let budget = s.tweakables.maxActionsPerExecution;
  const take = <T>(list: readonly T[]): T[] => {
    const out = list.slice(0, Math.max(0, budget));
    budget -= out.length;
    return out;
  };
  const terminates = take(inv.terminateWorkflows);
  const cancels = take(inv.cancelWorkflows);
  const ready = take(inv.bufferedStarts.filter((b) => readyToStart(b, now)));
  const sc = ready.length > 0 ? startContextOf(root, key) : undefined;
  const starts = ready.map((b) => ({ requestId: b.requestId, workflowId: b.workflowId, request: startWorkflowRequest(sc!, b) }));
  return { terminates, cancels, starts, namespace: s.namespace, scheduleId: s.scheduleId };
}
