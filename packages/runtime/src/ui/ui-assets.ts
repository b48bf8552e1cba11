/**
 * The web UI's static files (the built `@chasm/ui` package), served from memory: the dist
 * folder is read once at start-up (a few hundred KiB), so a request can never name a file
 * outside it (no path to traverse) and no disk read happens per request. Unknown paths that are
 * not API calls get `index.html`, so the app's deep links work on reload.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, relative, sep } from 'node:path';
import { Counter, type Registry } from 'prom-client';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
  map: 'application/json',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export class UiAssets {
  private constructor(
    private readonly files: ReadonlyMap<string, Asset>,
    readonly dir: string,
    private readonly requests: Counter<'kind'>,
  ) {}

  /** Reads every file under `dir` (a built UI: it must hold index.html). */
  static load(dir: string, metrics: Registry): UiAssets {
    const files = new Map<string, Asset>();
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) walk(full);
        else files.set(`/${relative(dir, full).split(sep).join('/')}`, { body: readFileSync(full), type: CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream' });
      }
    };
    walk(dir);
    if (!files.has('/index.html')) throw new Error(`${dir} has no index.html: is the UI built?`);
    const requests = new Counter({
      name: 'ui_requests_total',
      help: "Requests for the web UI's files, by kind: file (an asset), app (index.html for an app path), not_found",
      labelNames: ['kind'],
      registers: [metrics],
    });
    return new UiAssets(files, dir, requests);
  }

  /**
   * The dist folder of an installed UI package, resolved from `from` (a module URL or path),
   * or undefined when the package is not installed or not built: an operator may leave it out.
   */
  static find(from: string, packageName = '@chasm/ui'): string | undefined {
    try {
      const dir = join(dirname(createRequire(from).resolve(`${packageName}/package.json`)), 'dist');
      statSync(join(dir, 'index.html'));
      return dir;
    } catch {
      return undefined;
    }
  }

  /** Serves a GET/HEAD for a file, or index.html for an app path; 404 JSON for /api and other methods. */
  readonly serve = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponentSafe(new URL(req.url ?? '/', 'http://localhost').pathname);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || path.startsWith('/api/')) {
      this.requests.inc({ kind: 'not_found' });
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NOT_FOUND', message: 'no such route' }));
      return;
    }
    const file = this.files.get(path);
    const asset = file ?? this.files.get('/index.html')!;
    this.requests.inc({ kind: file ? 'file' : 'app' });
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': String(asset.body.length),
      // Vite names built assets by content hash: cache them for good, never index.html.
      'cache-control': file && path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
