/**
 * The update bench's timing proxy, in a process of its own: the capturing WorkflowService proxy
 * (`@chasm/workflow/bench/rpc-capture-proxy`) between the SDK client and worker and the server.
 * Its own process so that its timestamps are not delayed by the bench process's event loop, which
 * runs the SDK client and the worker's JavaScript side.
 *
 * IPC: sends `{ address }` once listening; on `'dump'` answers with the calls recorded so far as
 * compact timings (no payloads), then forgets them; on `'stop'` closes and exits.
 */
import { decodeCall, startCaptureProxy, type CapturedCall } from '@chasm/workflow/bench/rpc-capture-proxy';

/** One forwarded call as the bench needs it: method, arrival and answer (proxy ms), task or not. */
export interface CallTiming {
  readonly method: string;
  readonly inMs: number;
  readonly outMs: number;
  /** PollWorkflowTaskQueue only: whether the answer carried a task (a task token). */
  readonly task?: boolean;
}

function timing(c: CapturedCall): CallTiming {
  if (c.method !== 'PollWorkflowTaskQueue') return { method: c.method, inMs: c.inMs, outMs: c.outMs };
  const res = c.response ? (decodeCall(c).response as { taskToken?: string } | undefined) : undefined;
  return { method: c.method, inMs: c.inMs, outMs: c.outMs, task: Boolean(res?.taskToken) };
}

async function main(): Promise<void> {
  const upstream = process.argv[2];
  if (!upstream || !process.send) throw new Error('usage: fork(capture-proxy-process.js, [upstream]) with an IPC channel');
  const proxy = await startCaptureProxy(upstream);
  process.on('message', (m: unknown) => {
    if (m === 'dump') {
      // Only finished calls: a long poll still waiting stays for the next dump.
      const done = proxy.calls.filter((c) => c.outMs > 0);
      const waiting = proxy.calls.filter((c) => c.outMs === 0);
      proxy.calls.length = 0;
      proxy.calls.push(...waiting);
      process.send?.({ calls: done.map(timing) });
    } else if (m === 'stop') {
      // A long poll the worker left behind must not hold the exit up.
      setTimeout(() => process.exit(0), 2_000).unref();
      void proxy.stop().finally(() => process.exit(0));
    }
  });
  process.send({ address: proxy.address });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
