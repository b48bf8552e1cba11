import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { close, listen } from '../http/listen.js';

/** Serves `GET /metrics` in the Prometheus text format. */
export class MetricsServer {
  private server: Server | undefined;

  constructor(private readonly registry: Registry) {}

  /** Listens and returns the bound port (useful with port 0). */
  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    const bound = await listen(server, host, port, 'metrics');
    this.server = server;
    return bound;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await close(server);
  }
}
