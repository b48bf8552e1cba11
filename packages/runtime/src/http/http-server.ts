import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import findMyWay from 'find-my-way';
import type { HttpMethod, HttpRoute } from '@chasm/core';
import type { Logger } from 'pino';
import type { HttpMetrics } from '../metrics/http-metrics.js';
import { toHttpError } from './http-status.js';
import { close, listen } from './listen.js';
import { createListener, type Listener } from '../tls/listener.js';
import type { TlsConfig } from '../tls/tls-config.js';

/** Bodies above this are refused with 413 before they are parsed. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Serves the HTTP routes plugins contribute (JSON in, JSON out; bytes for `raw` routes), with find-my-way as the router
 * (fastify's: maintained, radix tree, `:param` segments). Two routes with the same method and
 * path fail start-up in the router itself. Handler errors map through `toHttpError`; anything
 * else is a bug: 500 with a reference, and the stack in the log.
 */
export class HttpFrontDoor {
  private readonly router: findMyWay.Instance<findMyWay.HTTPVersion.V1>;
  private readonly shutdown = new AbortController();
  private server: Listener | undefined;

  constructor(
    routes: readonly HttpRoute[],
    private readonly logger: Logger,
    private readonly metrics: HttpMetrics,
    /** HTTPS (and client certificates, with `clientCaFile`) when given. */
    private readonly tls?: TlsConfig,
    /** Answers what no route matches (the UI's static files); default: a JSON 404. */
    fallback?: (req: IncomingMessage, res: ServerResponse) => void,
  ) {
    this.router = findMyWay({ ignoreTrailingSlash: true, defaultRoute: fallback ?? ((_req, res) => send(res, 404, { code: 'NOT_FOUND', message: 'no such route' })) });
    for (const route of routes) {
      try {
        this.router.on(route.method, route.path, (req, res, params) => void this.serve(route, req, res, params));
      } catch (e) {
        throw new Error(`HTTP route ${route.method} ${route.path}: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  /** Listens and returns the bound port; `orFreePort`: a taken port falls back to a free one. */
  async start(host: string, port: number, orFreePort = false): Promise<number> {
    const server = createListener((req, res) => this.router.lookup(req, res), this.tls, 'http');
    const bound = await listen(server, host, port, 'http', orFreePort);
    this.server = server;
    return bound;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.shutdown.abort(new Error('server is shutting down'));
    await close(server);
  }

  private async serve(route: HttpRoute, req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>): Promise<void> {
    const signal = AbortSignal.any([this.shutdown.signal, abortOnClose(res)]);
    const done = this.metrics.begin(route.method, route.path);
    res.once('finish', () => done(res.statusCode));
    try {
      const bytes = await readBody(req);
      if (bytes === TOO_LARGE) return send(res, 413, { code: 'RESOURCE_EXHAUSTED', message: `request body above ${MAX_BODY_BYTES} bytes` });
      const body = route.raw ? undefined : parseJson(bytes);
      if (body === BAD_JSON) return send(res, 400, { code: 'INVALID_ARGUMENT', message: 'request body is not valid JSON' });
      const url = new URL(req.url ?? '/', 'http://localhost');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? (v[0] ?? '') : v;
      const out = await route.handle({
        method: req.method as HttpMethod,
        path: url.pathname,
        params: Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined)),
        query: url.searchParams,
        headers,
        body,
        ...(route.raw ? { rawBody: bytes } : {}),
        signal,
      });
      if (out.rawBody !== undefined) sendRaw(res, out.status, out.rawBody, out.headers);
      else send(res, out.status, out.body, out.headers);
    } catch (e) {
      const mapped = toHttpError(e);
      if (mapped) return send(res, mapped.status, mapped.body);
      const ref = randomUUID().slice(0, 8);
      this.logger.error({ err: e, ref, route: `${route.method} ${route.path}` }, 'HTTP handler failed');
      send(res, 500, { code: 'INTERNAL', message: `internal server error (ref ${ref})` });
    }
  }
}

const TOO_LARGE = Symbol('tooLarge');
const BAD_JSON = Symbol('badJson');

async function readBody(req: IncomingMessage): Promise<Uint8Array | typeof TOO_LARGE> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return TOO_LARGE;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as unknown;
  } catch {
    return BAD_JSON;
  }
}

function sendRaw(res: ServerResponse, status: number, body: Uint8Array, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-length': String(body.length) }).end(body);
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function abortOnClose(res: ServerResponse): AbortSignal {
  const c = new AbortController();
  res.once('close', () => c.abort(new Error('client went away')));
  return c.signal;
}
