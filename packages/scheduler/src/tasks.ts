import { ChasmError, ErrorCode, type MutableContext, type ServiceClient, WORKFLOW_SERVICE } from '@chasm/core';
import { decodeMessage, temporalProto } from '@chasm/matching';
import type { Logger } from 'pino';
import { backfill } from './backfiller/backfill.js';
import { Backfiller, type BackfillerComponent } from './backfiller/backfiller.js';
import { generate, idleDeadline, type GenerateOutcome } from './generator/generate.js';
import { Generator, type GeneratorComponent } from './generator/generator.js';
import { Invoker, type InvokerComponent, type WorkflowRef } from './invoker/invoker.js';
import { hasExecutableWork, nextRetryTime, processBuffer, readyToStart } from './invoker/process-buffer.js';
import { startWorkflowRequest, type StartContext } from './invoker/start-request.js';
import { schedulerIdentity } from './invoker/start-identity.js';
import { lib } from './library-builder.js';
import type { SchedulerMetrics } from './metrics.js';
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
  const gen = root.fields.generator.get() as GeneratorComponent;
  if (o.buffered) ctx.addTask(root.fields.invoker.get() as InvokerComponent, ProcessBufferTask, { stamp: null });
  // A new wake-up supersedes any armed before (timers carry the stamp).
  gen.state.timerStamp++;
  if (o.wakeAt !== null) ctx.addTask(gen, GenerateTask, { stamp: gen.state.timerStamp }, { at: new Date(o.wakeAt) });
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

export interface ExecuteDeps {
  readonly services: ServiceClient;
  readonly logger?: Logger;
  readonly metrics?: SchedulerMetrics;
}

interface StartWork {
  readonly requestId: string;
  readonly request: object;
}
interface Work {
  readonly terminates: WorkflowRef[];
  readonly cancels: WorkflowRef[];
  readonly starts: StartWork[];
  readonly namespace: string;
  readonly scheduleId: string;
}
type StartResult = { readonly requestId: string } & ({ readonly ok: true; readonly runId: string; readonly started: boolean } | { readonly ok: false; readonly retryable: boolean; readonly message: string });

const NON_RETRYABLE: ReadonlySet<string> = new Set([ErrorCode.NotFound, ErrorCode.InvalidArgument, ErrorCode.AlreadyExists]);

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
      const work = await ctx.engine.read(invokerRef, (c, rctx) => collectWork(c as InvokerComponent, rctx.now.getTime(), { namespaceId: ref.namespaceId, runId: ref.runId }));
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
      const results: StartResult[] = [];
      for (const s of work.starts) {
        try {
          const res = await call('StartWorkflowExecution', s.request) as { runId?: string; started?: boolean };
          results.push({ requestId: s.requestId, ok: true, runId: res.runId ?? '', started: res.started !== false });
          deps.metrics?.actions.inc({ outcome: 'started' });
        } catch (e) {
          const retryable = !(ChasmError.is(e) && NON_RETRYABLE.has(e.code));
          results.push({ requestId: s.requestId, ok: false, retryable, message: e instanceof Error ? e.message : String(e) });
          deps.metrics?.actions.inc({ outcome: retryable ? 'retry' : 'dropped' });
          deps.logger?.[retryable ? 'warn' : 'info']({ scheduleId: work.scheduleId, code: ChasmError.is(e) ? e.code : undefined, message: e instanceof Error ? e.message : String(e) }, 'schedule start failed');
        }
      }
      await ctx.engine.update(invokerRef, (c, uctx) => applyResults(c as InvokerComponent, uctx, work, results));
    },
  });
}

/** The unwired execute task transitions add; the registry holds the wired one under the same name. */
export const ExecuteTask = executeTaskType({
  services: {
    call: () => Promise.reject(new Error('scheduler.execute is not wired to a ServiceClient (use createSchedulerLibrary)')),
  },
});

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
  let starts: StartWork[] = [];
  if (ready.length > 0) {
    const action = decodeMessage(temporalProto.temporal.api.schedule.v1.ScheduleAction, root.fields.action.get()?.action ?? null);
    const last = root.fields.lastCompletion.get();
    const startCtx: StartContext = {
      namespace: s.namespace,
      scheduleId: s.scheduleId,
      action: action?.startWorkflow ?? {},
      lastSuccess: last?.success ?? null,
      lastFailure: last?.failure ?? null,
      callbackTarget: { namespaceId: key.namespaceId, archetype: Scheduler.name, businessId: s.scheduleId, runId: key.runId },
    };
    starts = ready.map((b) => ({ requestId: b.requestId, request: startWorkflowRequest(startCtx, b) }));
  }
  return { terminates, cancels, starts, namespace: s.namespace, scheduleId: s.scheduleId };
}

function applyResults(invoker: InvokerComponent, ctx: MutableContext, work: Work, results: readonly StartResult[]): void {
  const root = rootOf(invoker);
  const s = root.state;
  const inv = invoker.state;
  const now = ctx.now.getTime();
  const done = (list: WorkflowRef[], handled: readonly WorkflowRef[]) => list.filter((w) => !handled.some((h) => h.runId === w.runId));
  inv.terminateWorkflows = done(inv.terminateWorkflows, work.terminates);
  inv.cancelWorkflows = done(inv.cancelWorkflows, work.cancels);
  const drop = new Set<string>();
  for (const r of results) {
    const b = inv.bufferedStarts.find((x) => x.requestId === r.requestId);
    if (!b || b.runId !== null) continue; // recorded already (a repeat, or the completion came first)
    if (r.ok) {
      b.runId = r.runId;
      b.startTime = now;
      // started=false only when the request id matched: our own start, repeated after a crash.
      s.info.actionCount++;
    } else if (!r.retryable || b.attempt >= s.tweakables.maxStartAttempts) {
      // WorkflowExecutionAlreadyStarted and other refusals drop the start silently.
      drop.add(b.requestId);
    } else {
      b.attempt++;
      b.backoffTime = now + retryDelay(s.tweakables.retryInitialMs, s.tweakables.retryMaxMs, b.attempt - 1);
    }
  }
  if (drop.size > 0) inv.bufferedStarts = inv.bufferedStarts.filter((b) => !drop.has(b.requestId) || b.completed !== null);
  refreshSummary(root);
  afterProcess(ctx, invoker, hasExecutableWork(invoker, now));
}

/** The system retry policy: min(initial·2^(n-1), max), jittered to [0.8, 1.0) of it. */
function retryDelay(initialMs: number, maxMs: number, n: number): number {
  const d = Math.min(initialMs * 2 ** Math.max(0, n - 1), maxMs);
  return Math.round(0.8 * d + Math.random() * 0.2 * d);
}
