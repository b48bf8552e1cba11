import type { Registry } from 'prom-client';
import { close, listen } from '../http/listen.js';
import { createListener, type Listener } from '../tls/listener.js';
import type { TlsConfig } from '../tls/tls-config.js';

/** Serves `GET /metrics` in the Prometheus text format, over HTTPS when `tls` is given. */
export class MetricsServer {
  private server: Listener | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly tls?: TlsConfig,
  ) {}

  /** Listens and returns the bound port; `orFreePort`: a taken port falls back to a free one. */
  async start(host: string, port: number, orFreePort = false): Promise<number> {
    const server = createListener((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    }, this.tls, 'metrics');
    const bound = await listen(server, host, port, 'metrics', orFreePort);
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
