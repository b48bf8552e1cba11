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

  /** Call when a request arrives; the returned function records its outcome. */
  begin(service: string, operation: string): (statusCode: string) => void {
    this.requests.inc({ service, operation });
    const end = this.latency.startTimer({ service, operation });
    return (statusCode) => {
      end({ status_code: statusCode });
      if (statusCode !== 'OK') this.errors.inc({ service, operation, status_code: statusCode });
    };
  }
}
