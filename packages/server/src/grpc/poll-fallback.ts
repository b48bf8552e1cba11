import { WORKFLOW_SERVICE, type RpcCallContext, type RpcHandlerSet } from '@chasm/core';

/**
 * TEMPORARY: stand-ins for worker-facing methods until the matching package provides them.
 * Remove this file (and its use in grpc-server.ts) once real handlers exist; until then, any
 * package that provides one of these methods through TOKENS.RpcHandlers takes precedence.
 *
 * Why not UNIMPLEMENTED: SDK workers treat poll errors as fatal after a grace period, so a poll
 * must be a long poll that ends with an entirely default (empty) response, which core reads as
 * "no task". ShutdownWorker and RecordWorkerHeartbeat just acknowledge.
 */
export const MAX_POLL_HOLD_MS = 60_000;
/** Answer this long before the caller's deadline, so the empty response arrives in time. */
export const POLL_DEADLINE_MARGIN_MS = 1_000;

export function pollFallbackHandlers(): RpcHandlerSet {
  return {
    service: WORKFLOW_SERVICE,
    methods: {
      PollWorkflowTaskQueue: emptyLongPoll,
      PollActivityTaskQueue: emptyLongPoll,
      PollNexusTaskQueue: emptyLongPoll,
      ShutdownWorker: async () => ({}),
      RecordWorkerHeartbeat: async () => ({}),
    },
  };
}

/** Holds until shortly before the deadline (at most 60 s) or until the call is cancelled. */
export async function emptyLongPoll(_request: unknown, call: RpcCallContext): Promise<object> {
  const holdMs = pollHoldMs(call.deadline, Date.now());
  await new Promise<void>((resolve) => {
    if (call.signal.aborted || holdMs <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, holdMs);
    call.signal.addEventListener('abort', done, { once: true });
  });
  return {};
}

export function pollHoldMs(deadline: Date | undefined, now: number): number {
  const untilDeadline = deadline ? deadline.getTime() - now - POLL_DEADLINE_MARGIN_MS : MAX_POLL_HOLD_MS;
  return Math.max(0, Math.min(MAX_POLL_HOLD_MS, untilDeadline));
}
