import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Front-door request metrics, named like the Temporal server's (`service_requests`,
 * `service_errors`, `service_latency`) so existing dashboards mostly carry over.
 * `operation` is the method name, as in Temporal.
 */
export class RpcMetrics {
  private readonly requests: Counter<'service' | 'operation'>;
  private readonly errors: Counter<'service' | 'operation' | 'status_code'>;
  private readonly latency: Histogram<'service' | 'operation' | 'status_code'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'service_requests',
      help: 'gRPC requests received by the front door',
      labelNames: ['service', 'operation'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'service_errors',
      help: 'gRPC requests answered with a non-OK status',
      labelNames: ['service', 'operation', 'status_code'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'service_latency',
      help: 'gRPC request latency in seconds, by final status code',
      labelNames: ['service', 'operation', 'status_code'],
      // Long polls end near 60 s; keep buckets up to 70 s so they do not all land in +Inf.
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 70],
      registers: [registry],
    });
  }

  /**
   * Label children per operation (and per status code), looked up once: `inc({labels})` and
   * `startTimer({labels})` hash the label set on every call, which showed in the server's
   * profile (issue 16). The sets are small and closed (methods x status codes).
   */
  private readonly children = new Map<string, OperationMetrics>();

  /** Call when a request arrives; the returned function records its outcome. */
  begin(service: string, operation: string): (statusCode: string) => void {
    const key = `${service}/${operation}`;
    let m = this.children.get(key);
    if (m === undefined) {
      m = { requests: this.requests.labels({ service, operation }), byStatus: new Map() };
      this.children.set(key, m);
    }
    m.requests.inc();
    const started = performance.now();
    const op = m;
    return (statusCode) => {
      let s = op.byStatus.get(statusCode);
      if (s === undefined) {
        s = {
          latency: this.latency.labels({ service, operation, status_code: statusCode }),
          errors: statusCode === 'OK' ? undefined : this.errors.labels({ service, operation, status_code: statusCode }),
        };
        op.byStatus.set(statusCode, s);
      }
      s.latency.observe((performance.now() - started) / 1000);
      s.errors?.inc();
    };
  }
}

interface OperationMetrics {
  readonly requests: { inc(): void };
  readonly byStatus: Map<string, { readonly latency: { observe(v: number): void }; readonly errors: { inc(): void } | undefined }>;
}
