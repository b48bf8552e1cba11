/**
 * Messages between the workflow bench (parent) and its SDK processes (children started with
 * `fork`, so they talk over the IPC channel). The client runs one measured round per process;
 * the worker serves one target for the whole run.
 */

/** Given to the worker process in its environment (BENCH_WORKER_OPTIONS, JSON). */
export interface WorkerOptions {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** A file holding the workflow bundle's code, bundled once by the parent. */
  readonly bundleFile: string;
}

/** Given to the client process in its environment (BENCH_CLIENT_OPTIONS, JSON). */
export interface ClientOptions {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly callers: number;
  readonly warmup: number;
  readonly workflows: number;
}

/** What the client measured: its own CPU and the callers' latencies, in the measured phase. */
export interface ClientResult {
  readonly seconds: number;
  readonly cpuMs: number;
  /** Ascending, ms: StartWorkflowExecution, and start → result. */
  readonly startMs: readonly number[];
  readonly workflowMs: readonly number[];
}

export type ChildMessage =
  | { readonly kind: 'ready' }
  /** Client: warmed up, about to start the measured phase; waits for `go`. */
  | { readonly kind: 'warm' }
  | { readonly kind: 'done'; readonly result: ClientResult };

export type ParentMessage = { readonly kind: 'go' } | { readonly kind: 'stop' };
