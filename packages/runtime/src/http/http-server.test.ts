import { InvalidArgumentError, type HttpRoute } from '@chasm/core';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { HttpMetrics } from '../metrics/http-metrics.js';
import { HttpFrontDoor } from './http-server.js';

describe('HttpFrontDoor', () => {
  let door: HttpFrontDoor | undefined;
  afterEach(async () => {
    await door?.stop();
    door = undefined;
  });

  const serve = async (routes: HttpRoute[]): Promise<string> => {
    door = new HttpFrontDoor(routes, createLogger('silent'), new HttpMetrics(new Registry()));
    return `http://127.0.0.1:${await door.start('127.0.0.1', 0)}`;
  };

  it('JSON routes: parsed body in, JSON out, bad JSON 400, errors mapped', async () => {
    const base = await serve([
      { method: 'POST', path: '/echo/:name', handle: async (r) => ({ status: 200, body: { name: r.params['name'], body: r.body, raw: r.rawBody === undefined } }) },
      { method: 'POST', path: '/bad', handle: () => Promise.reject(new InvalidArgumentError('x', 'x: nope')) },
    ]);
    const ok = await fetch(`${base}/echo/a`, { method: 'POST', body: JSON.stringify({ v: 1 }) });
    expect(await ok.json()).toEqual({ name: 'a', body: { v: 1 }, raw: true });
    expect((await fetch(`${base}/echo/a`, { method: 'POST', body: '{' })).status).toBe(400);
    const bad = await fetch(`${base}/bad`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('raw routes: the body as bytes whatever its type, and bytes out with the route\'s headers', async () => {
    const base = await serve([
      {
        method: 'POST',
        path: '/raw',
        raw: true,
        handle: async (r) => ({
          status: 201,
          rawBody: new Uint8Array([...(r.rawBody ?? []), 33]),
          headers: { 'content-type': 'application/octet-stream', 'x-seen-type': r.headers['content-type'] ?? '', 'x-json': String(r.body === undefined) },
        }),
      },
    ]);
    const res = await fetch(`${base}/raw`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{not json' });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-seen-type')).toBe('text/plain');
    expect(res.headers.get('x-json')).toBe('true');
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('{not json!');
  });
});
