import { Counter, type Registry } from 'prom-client';

/**
 * Calls that came through the HTTP API, by operation (the RPC method), named like the Temporal
 * server's counter. They also count in `service_requests` and the rest: they take the gRPC
 * front door's chain; the route's latency is in `http_request_latency`.
 */
export class HttpApiMetrics {
  private readonly requests: Counter<'operation'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'http_service_requests',
      help: 'Temporal HTTP API requests, by RPC method',
      labelNames: ['operation'],
      registers: [registry],
    });
  }

  request(operation: string): void {
    this.requests.inc({ operation });
  }
}
