import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CommitSpanAttributes, CommitTracer } from '@chasm/core';
import type { Logger } from 'pino';
import type { RpcSpanInfo, RpcTracer } from './rpc-tracer.js';
import { traceCarrierOf } from './trace-parent.js';
import { tracesUrl, type TracesConfig } from './traces-config.js';
import type { Tracing } from './tracing.js';

/** gRPC codes that are the server's failure, not the caller's (OpenTelemetry's RPC conventions). */
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

/**
 * The OpenTelemetry implementation, loaded only when traces are configured (tracing.ts). The
 * provider is private to the server and not registered globally: an application that embeds
 * the server keeps its own global tracer, context manager and propagator. The current RPC span
 * travels to the engine's commit spans through our own AsyncLocalStorage for the same reason.
 */
export function createOtelTracing(config: TracesConfig, logger: Logger): Tracing {
  const url = tracesUrl(config.endpoint);
  const exporter = new OTLPTraceExporter({ url, ...(config.headers ? { headers: { ...config.headers } } : {}) });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('chasm-server');
  const propagator = new W3CTraceContextPropagator();
  const current = new AsyncLocalStorage<Context>();
  logger.info({ exporter: config.exporter, url: new URL(url).origin + new URL(url).pathname }, 'traces on');

  const rpc: RpcTracer = {
    async traceRpc<T>(info: RpcSpanInfo, call: () => Promise<T>, codeOf: (result: T) => number): Promise<T> {
      // An internal call (another package's) continues the span it was made from.
      const carrier = info.transport === 'internal' ? undefined : traceCarrierOf(info.request, info.metadata());
      const parent = carrier ? propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter) : (current.getStore() ?? ROOT_CONTEXT);
      const span = tracer.startSpan(
        `${info.service}/${info.method}`,
        {
          kind: info.transport === 'internal' ? SpanKind.INTERNAL : SpanKind.SERVER,
          attributes: {
            'rpc.system': 'grpc',
            'rpc.service': info.service,
            'rpc.method': info.method,
            'chasm.transport': info.transport,
            ...(info.namespace !== undefined ? { 'temporal.namespace': info.namespace } : {}),
          },
        },
        parent,
      );
      try {
        const result = await current.run(trace.setSpan(parent, span), call);
        const code = codeOf(result);
        span.setAttribute('rpc.grpc.status_code', code);
        if (SERVER_ERROR_CODES.has(code)) span.setStatus({ code: SpanStatusCode.ERROR });
        return result;
      } catch (e) {
        fail(span, e);
        throw e;
      } finally {
        span.end();
      }
    },
  };

  const commits: CommitTracer = {
    async traceCommit<T>(a: CommitSpanAttributes, commit: () => Promise<T>): Promise<T> {
      const span = tracer.startSpan(
        'chasm.commit',
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'chasm.namespace_id': a.namespaceId,
            'chasm.archetype': a.archetype,
            'chasm.business_id': a.businessId,
            'chasm.run_id': a.runId,
            'chasm.transition_count': a.transitionCount,
            'chasm.create': a.create,
            'chasm.nodes_written': a.nodes,
            'chasm.tasks_inserted': a.tasks,
          },
        },
        current.getStore() ?? ROOT_CONTEXT,
      );
      try {
        return await commit();
      } catch (e) {
        fail(span, e);
        throw e;
      } finally {
        span.end();
      }
    },
  };

  return { rpc, commits, shutdown: () => provider.shutdown() };
}

/** Marks a span failed with the error's class name only: messages may quote user data. */
function fail(span: Span, e: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : 'error' });
}
