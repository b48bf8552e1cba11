import { Histogram, type Registry } from 'prom-client';

/** Plugin HTTP route metrics: one latency histogram by route pattern and status (its count is the request count). */
export class HttpMetrics {
  private readonly latency: Histogram<'method' | 'route' | 'status'>;

  constructor(registry: Registry) {
    this.latency = new Histogram({
      name: 'http_request_latency',
      help: 'HTTP requests to plugin routes: latency in seconds, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }

  /** Call when a request arrives; the returned function records its status. */
  begin(method: string, route: string): (status: number) => void {
    const end = this.latency.startTimer({ method, route });
    return (status) => end({ status: String(status) });
  }
}
