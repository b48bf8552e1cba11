import { EventEmitter } from 'node:events';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { RpcCallContext } from '@chasm/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { unaryHandler, type CallHandlerDeps } from './call-handler.js';
import type { ServedMethod } from './service-definition.js';

/**
 * The call context's signal is built lazily (issue 16: an AbortController per call was among a
 * call's costliest parts): a handler that asks for it after the client cancelled, or before,
 * sees the cancellation either way.
 */
describe('unaryHandler: the call signal', () => {
  const method = { serviceName: 'WorkflowService', service: 'temporal.api.workflowservice.v1.WorkflowService', method: 'PollActivityTaskQueue' } as ServedMethod;
  const deps = (shutdown: AbortSignal): CallHandlerDeps =>
    ({
      logger: pino({ level: 'silent' }),
      metrics: { begin: () => () => undefined },
      shutdown,
      admission: { admit: () => undefined, release: () => undefined },
    }) as unknown as CallHandlerDeps;

  /** Runs one call whose handler calls `body` with the context; resolves with the callback's error or response. */
  function run(body: (ctx: RpcCallContext, call: EventEmitter) => Promise<object>, shutdown = new AbortController().signal): Promise<unknown> {
    const call = Object.assign(new EventEmitter(), { request: {}, metadata: new Metadata(), getDeadline: () => Infinity });
    const handler = unaryHandler(method, { handler: (_req: unknown, ctx: RpcCallContext) => body(ctx, call) }, deps(shutdown));
    return new Promise((resolve) => handler(call as unknown as ServerUnaryCall<object, object>, (err, res) => resolve(err ?? res)));
  }

  const aborted = (signal: AbortSignal): Promise<string> =>
    new Promise((resolve) => signal.addEventListener('abort', () => resolve(String((signal.reason as Error).message)), { once: true }));

  it('aborts a signal taken before the client cancels', async () => {
    const out = await run(async (ctx, call) => {
      const signal = ctx.signal;
      const reason = aborted(signal);
      call.emit('cancelled');
      return { reason: await reason };
    });
    expect(out).toEqual({ reason: 'WorkflowService/PollActivityTaskQueue cancelled by the client' });
  });

  it('hands out an aborted signal when asked after the client cancelled', async () => {
    const out = await run(async (ctx, call) => {
      call.emit('cancelled');
      return { aborted: ctx.signal.aborted, reason: String((ctx.signal.reason as Error).message) };
    });
    expect(out).toEqual({ aborted: true, reason: 'WorkflowService/PollActivityTaskQueue cancelled by the client' });
  });

  it('follows the server shutdown, and hands out the same signal every time', async () => {
    const shutdown = new AbortController();
    const out = await run(async (ctx) => {
      const signal = ctx.signal;
      expect(ctx.signal).toBe(signal);
      expect(signal.aborted).toBe(false);
      shutdown.abort(new Error('stopping'));
      return { aborted: signal.aborted };
    }, shutdown.signal);
    expect(out).toEqual({ aborted: true });
  });

  it('hands out an aborted signal when asked after the server began to stop', async () => {
    const shutdown = new AbortController();
    shutdown.abort(new Error('stopping'));
    const out = await run(async (ctx) => ({ aborted: ctx.signal.aborted, reason: String((ctx.signal.reason as Error).message) }), shutdown.signal);
    expect(out).toEqual({ aborted: true, reason: 'stopping' });
  });

  it('aborts every call in flight at shutdown, and none that already finished', async () => {
    const shutdown = new AbortController();
    let finished: AbortSignal | undefined;
    await run(async (ctx) => ((finished = ctx.signal), {}), shutdown.signal);
    // Its bookkeeping ends just after the answer.
    await new Promise((resolve) => setImmediate(resolve));
    const held = Array.from({ length: 20 }, () => {
      let signal: AbortSignal | undefined;
      const done = run(async (ctx) => {
        signal = ctx.signal;
        return { reason: await aborted(ctx.signal) };
      }, shutdown.signal);
      return { done, signal: () => signal };
    });
    expect(held.every((h) => h.signal()?.aborted === false)).toBe(true);
    shutdown.abort(new Error('stopping'));
    expect(await Promise.all(held.map((h) => h.done))).toEqual(held.map(() => ({ reason: 'stopping' })));
    // A finished call's signal is left alone (its handler is done with it).
    expect(finished?.aborted).toBe(false);
  });
});
