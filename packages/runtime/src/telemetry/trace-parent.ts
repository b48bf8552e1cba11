/**
 * Where a call's parent span comes from: the W3C `traceparent` metadata if the caller sent it
 * (any OpenTelemetry-instrumented gRPC or HTTP client), else the Temporal header `_tracer-data`
 * that @temporalio/interceptors-opentelemetry writes into requests (StartWorkflowExecution,
 * SignalWithStart, …): a payload whose JSON data is the propagator's carrier
 * (`{ traceparent, tracestate }`).
 */
export const TEMPORAL_TRACE_HEADER = '_tracer-data';

/** The text-map carrier of the caller's trace context, or undefined when it sent none. */
export function traceCarrierOf(request: object, metadata: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const traceparent = metadata['traceparent'];
  if (traceparent !== undefined) {
    const tracestate = metadata['tracestate'];
    return tracestate !== undefined ? { traceparent, tracestate } : { traceparent };
  }
  return carrierOfTemporalHeader(request);
}

function carrierOfTemporalHeader(request: object): Record<string, string> | undefined {
  const header = (request as { header?: { fields?: Record<string, unknown> } | null }).header;
  const payload = header?.fields?.[TEMPORAL_TRACE_HEADER] as { data?: unknown } | undefined;
  const data = payload?.data;
  // Decoded by grpc-js the bytes are a Buffer/Uint8Array; some JSON paths keep base64 text.
  const text =
    data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8') : typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : undefined;
  if (text === undefined || text.length > 4096) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
    return out;
  } catch {
    // A malformed trace header is the caller's tracing problem, not a reason to fail its call.
    return undefined;
  }
}
