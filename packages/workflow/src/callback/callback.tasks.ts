import { lib } from '../library-builder.js';
import { ChasmError, ErrorCode, systemRetryDelayMs, type CompletionCallback, type CompletionOutcome, type MutableContext } from '@chasm/core';
import { depsOf } from '../workflow/deps.js';
import { Workflow, type WorkflowComponent } from '../workflow/workflow.js';
import { Callback, type CallbackComponent } from './callback.js';
import { completionOutcomeOf } from './completion-outcome.js';

/** Invocation and backoff tasks carry the attempt count they were added at: a repeat finds it moved on. */
export interface CallbackAttemptPayload {
  readonly attempt: number;
}

/** Registers a start's callbacks on a new run, in STANDBY (keyed by their index in the request). */
export function registerCallbacks(wf: WorkflowComponent, callbacks: readonly CompletionCallback[], now: number): void {
  callbacks.forEach((c, i) => {
    wf.fields.callbacks.create(String(i), {
      url: c.url,
      header: { ...c.header },
      registrationTime: now,
      status: 'standby',
      attempt: 0,
      lastAttemptCompleteTime: null,
      lastFailure: null,
      nextAttemptTime: null,
    });
  });
}

/**
 * The chain ended with this run: every STANDBY callback is scheduled. Called in the closing
 * transaction, so the invocation tasks commit with the close (an outbox): a crash after the
 * close cannot lose a delivery.
 */
export function triggerCallbacks(wf: WorkflowComponent, ctx: MutableContext): void {
  for (const key of wf.fields.callbacks.keys()) {
    const cb = wf.fields.callbacks.get(key)!;
    if (cb.state.status !== 'standby') continue;
    cb.state.status = 'scheduled';
    ctx.addTask(cb, InvokeCallback, { attempt: cb.state.attempt });
  }
}

/** Temporal's system retry policy (core's `systemRetryDelayMs`), under the name delivery uses. */
export const callbackBackoffMs = systemRetryDelayMs;

/** NotFound- and InvalidArgument-class errors: the target is gone or the callback is malformed; retrying cannot help. */
function permanent(e: unknown): boolean {
  return ChasmError.is(e) && (e.code === ErrorCode.NotFound || e.code === ErrorCode.InvalidArgument);
}

export type AttemptResult = 'succeeded' | 'retrying' | 'failed';

/** Records the end of an attempt under the lock (`error` undefined: delivered). */
function recordAttempt(cb: CallbackComponent, ctx: MutableContext, error: unknown, retry: { initialMs: number; maximumMs: number }): AttemptResult {
  const s = cb.state;
  const now = ctx.now.getTime();
  s.attempt++;
  s.lastAttemptCompleteTime = now;
  if (error === undefined) {
    s.status = 'succeeded';
    s.lastFailure = null;
    s.nextAttemptTime = null;
    return 'succeeded';
  }
  s.lastFailure = error instanceof Error ? error.message : String(error);
  if (permanent(error)) {
    s.status = 'failed';
    s.nextAttemptTime = null;
    return 'failed';
  }
  s.status = 'backingOff';
  s.nextAttemptTime = now + callbackBackoffMs(s.attempt, retry.initialMs, retry.maximumMs);
  ctx.addTask(cb, CallbackBackoff, { attempt: s.attempt }, { at: new Date(s.nextAttemptTime) });
  return 'retrying';
}

/**
 * Delivers one callback (side effect): reads the chain's outcome, hands it to the delivery
 * outside the lock, and re-enters to record the attempt. Stale repeats (the attempt moved on)
 * are dropped before they run; a receiver sees at least once delivery, which it must tolerate.
 */
export const InvokeCallback = lib.sideEffectTask<typeof Callback, CallbackAttemptPayload>({
  name: 'invokeCallback',
  component: Callback,
  validate: (_ctx, cb, p) => cb.state.status === 'scheduled' && cb.state.attempt === p.attempt,
  async execute(ctx, ref, p) {
    const deps = depsOf(ctx.engine);
    const { callback, outcome } = await ctx.engine.read(ref, (c) => {
      const cb = c as CallbackComponent;
      const wf = cb.parent(Workflow);
      if (!wf) throw new Error('a callback outside a workflow run');
      return { callback: { url: cb.state.url, header: cb.state.header } as CompletionCallback, outcome: completionOutcomeOf(wf) as CompletionOutcome };
    });
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(deps.config.callbackRequestTimeoutMs)]);
    let error: unknown;
    try {
      // Raced with the signal too: an internal receiver takes none, and a hung one must not hold the task.
      await Promise.race([deps.delivery.deliver(callback, outcome, signal), whenAborted(signal)]);
    } catch (e) {
      error = e ?? new Error('callback delivery failed');
    }
    // Shutting down: nothing learnt about the target; the task stays and runs again.
    if (ctx.signal.aborted) throw error ?? new Error('shutting down');
    const retry = { initialMs: deps.config.callbackRetryInitialIntervalMs, maximumMs: deps.config.callbackRetryMaximumIntervalMs };
    const { output } = await ctx.engine.update(ref, (c, tx) => recordAttempt(c as CallbackComponent, tx, error, retry));
    deps.metrics?.callbackDeliveries.inc({ outcome: output });
    const log = { workflowId: outcome.businessId, runId: outcome.runId, callback: ref.path, attempt: p.attempt + 1, outcome: output };
    if (output === 'succeeded') deps.logger?.debug(log, 'completion callback delivered');
    else deps.logger?.warn({ ...log, err: error instanceof Error ? error.message : String(error) }, 'completion callback delivery failed');
  },
});

/** Rejects once `signal` aborts: the attempt took longer than callback.request.timeout, or the server stops. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new ChasmError(ErrorCode.DeadlineExceeded, 'callback delivery timed out'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** The backoff timer: BACKING_OFF -> SCHEDULED with a new invocation. */
export const CallbackBackoff = lib.pureTask<typeof Callback, CallbackAttemptPayload>({
  name: 'callbackBackoff',
  component: Callback,
  validate: (_ctx, cb, p) => cb.state.status === 'backingOff' && cb.state.attempt === p.attempt,
  execute(ctx, cb) {
    cb.state.status = 'scheduled';
    cb.state.nextAttemptTime = null;
    ctx.addTask(cb, InvokeCallback, { attempt: cb.state.attempt });
  },
});
