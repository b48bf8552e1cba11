import type { CommitTracer } from '@chasm/core';
import type { RpcTracer } from './rpc-tracer.js';

/** The server's tracing when `telemetry.traces` is configured (ADR 0029). */
export interface Tracing {
  readonly rpc: RpcTracer;
  readonly commits: CommitTracer;
  /** Exports the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

/** What ServerTokens.Tracing resolves to (a binding cannot hold undefined). */
export interface TracingHolder {
  readonly tracing: Tracing | undefined;
}
