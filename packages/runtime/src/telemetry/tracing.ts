import type { CommitTracer } from '@chasm/core';
import type { Logger } from 'pino';
import type { RpcTracer } from './rpc-tracer.js';
import type { TracesConfig } from './traces-config.js';

/** The server's tracing when `telemetry.traces` is configured (ADR 0029). */
export interface Tracing {
  readonly rpc: RpcTracer;
  readonly commits: CommitTracer;
  /** Exports the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing. The OpenTelemetry SDK and exporter are imported here, lazily: a server
 * without `telemetry.traces` never loads them, and its calls and commits pay one `undefined`
 * check instead of a no-op span.
 */
export async function startTracing(config: TracesConfig, logger: Logger): Promise<Tracing> {
  const { createOtelTracing } = await import('./otel-tracing.js');
  return createOtelTracing(config, logger);
}

/** What ServerTokens.Tracing resolves to (a binding cannot hold undefined). */
export interface TracingHolder {
  readonly tracing: Tracing | undefined;
}
