import type { Logger } from 'pino';
import type { TracesConfig } from './traces-config.js';
import type { Tracing } from './tracing.js';

/**
 * Starts tracing. The OpenTelemetry SDK and exporter are imported here, lazily: a server
 * without `telemetry.traces` never loads them, and its calls and commits pay one `undefined`
 * check instead of a no-op span.
 */
export async function startTracing(config: TracesConfig, logger: Logger): Promise<Tracing> {
  const { createOtelTracing } = await import('./otel-tracing.js');
  return createOtelTracing(config, logger);
}
