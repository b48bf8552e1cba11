/**
 * `telemetry.traces`: where spans go. Only OTLP over HTTP (protobuf-free JSON) for now: every
 * collector (OpenTelemetry Collector, Jaeger, Tempo, Honeycomb…) accepts it.
 */
export interface TracesConfig {
  readonly exporter: 'otlp';
  /** The OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (a bare origin gets /v1/traces). */
  readonly endpoint: string;
  /** `service.name` of the spans (default 'chasm-server'). */
  readonly serviceName: string;
  /** Extra HTTP headers of the export requests (e.g. an API key). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_TRACES_SERVICE_NAME = 'chasm-server';

/** The exporter's URL: OTLP's conventional path when the endpoint is only an origin. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}
