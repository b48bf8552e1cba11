import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { TOKENS, type ChasmEngine, type NamespaceResolver } from '@chasm/core';
import { addItem, createStore, storeTarget, testDatabaseConfigs } from '@chasm/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing/index.js';

/**
 * The CHASM inspector endpoints over HTTP, with auth on: a real server with the reference
 * library, an execution built through the engine (a store with an item and its expiry timer),
 * read back as the inspector's JSON tree; the same auth and status mapping as the RPCs.
 */
describe.each(testDatabaseConfigs('inspector'))('CHASM inspector endpoint ($name)', (tdb) => {
  let server: TestServer;
  let drop: () => Promise<void>;
  let dir: string;
  let key: CryptoKey;
  let base: string;
  let runId: string;
  const token = (permissions: string[]): Promise<string> =>
    new SignJWT({ permissions }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setSubject('tester').setIssuedAt().setExpirationTime('10m').sign(key);
  const get = async (path: string, permissions?: string[]): Promise<{ status: number; body: Record<string, unknown> }> => {
    const headers: Record<string, string> = permissions ? { authorization: `Bearer ${await token(permissions)}` } : {};
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inspector-'));
    const keys = await generateKeyPair('ES256');
    key = keys.privateKey;
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k', alg: 'ES256', use: 'sig' }] }));
    const db = await tdb.open();
    drop = db.drop;
    server = await startTestServer({
      packages: ['tests'],
      database: db.config,
      httpPort: 0,
      auth: { jwt: { jwksFile, permissionsClaim: 'permissions', systemNamespace: 'temporal-system' } },
    });
    base = `http://127.0.0.1:${server.httpPort}`;
    const engine = server.container.get<ChasmEngine>(TOKENS.Engine);
    const namespaceId = await server.container.get<NamespaceResolver>(TOKENS.Namespaces).idOf('default');
    ({ runId } = await createStore(engine, namespaceId, 'shop'));
    await engine.update(storeTarget(namespaceId, 'shop'), (store, ctx) => {
      addItem(store, ctx, 'apple', 'red', { ttlMs: 3_600_000 });
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a namespace reader the tree: types, state, lifecycle, pending timers, transitions', async () => {
    const { status, body } = await get('/api/v1/namespaces/default/chasm/executions/shop', ['default:reader']);
    expect(status).toBe(200);
    expect(body).toMatchObject({ namespace: 'default', businessId: 'shop', archetype: 'tests.store', runId, execution: { status: 'running' } });
    const root = body['root'] as { type: string; lifecycle: string; state: Record<string, unknown>; children: { path: string; tasks: { type: string; kind: string; fireAt: string }[]; lastTransition: number }[] };
    expect(root).toMatchObject({ type: 'tests.store', lifecycle: 'running', state: { name: 'shop' } });
    // The item was created in the execution's second transition, with its expiry timer.
    const items = root.children.find((c) => c.path === 'items') as unknown as { children: { path: string; tasks: { type: string; kind: string; fireAt: string }[]; initialTransition: number }[] };
    const apple = items.children.find((c) => c.path === 'items/apple')!;
    expect(apple.initialTransition).toBe(2);
    expect(apple.tasks).toHaveLength(1);
    expect(apple.tasks[0]).toMatchObject({ type: 'tests.expire', kind: 'pure', payload: { stamp: 1 } });
    expect(new Date(apple.tasks[0]!.fireAt).getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    // The archetype and run may be named; the same run comes back.
    const named = await get(`/api/v1/namespaces/default/chasm/executions/shop?archetype=tests.store&runId=${runId}`, ['default:reader']);
    expect(named.body['runId']).toBe(runId);
  });

  it('refuses callers the RPCs would refuse, as the RPCs do', async () => {
    // No token: what DescribeNamespace (a read in the same namespace) answers over HTTP.
    const anonymous = await get('/api/v1/namespaces/default/chasm/executions/shop');
    expect(anonymous.status).toBe((await get('/api/v1/namespaces/default')).status);
    expect(anonymous.status).toBe(403);
    const other = await get('/api/v1/namespaces/default/chasm/executions/shop', ['elsewhere:admin']);
    expect(other.status).toBe(403);
    expect(other.body['code']).toBe(7);
  });

  it('answers 400 naming the field and 404 for what does not exist', async () => {
    const bad = await get('/api/v1/namespaces/default/chasm/executions/shop?archetype=nope.nope', ['default:reader']);
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toMatch(/archetype/);
    const missing = await get('/api/v1/namespaces/default/chasm/executions/nothing-here', ['default:reader']);
    expect(missing.status).toBe(404);
    expect(missing.body['code']).toBe(5);
    const noRun = await get('/api/v1/namespaces/default/chasm/executions/shop?archetype=tests.store&runId=00000000-0000-0000-0000-000000000000', ['default:reader']);
    expect(noRun.status).toBe(404);
  });

  it('lists the registered components to a cluster reader', async () => {
    const { status, body } = await get('/api/v1/chasm/components', ['temporal-system:reader']);
    expect(status).toBe(200);
    const tests = (body['libraries'] as { name: string; components: { name: string }[] }[]).find((l) => l.name === 'tests')!;
    expect(tests.components.map((c) => c.name)).toEqual(['tests.store', 'tests.item']);
    expect((await get('/api/v1/chasm/components', ['default:reader'])).status).toBe(403);
  });
});

describe('web UI port', () => {
  let server: TestServer;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ui-assets-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    server = await startTestServer({ packages: ['tests'], uiPort: 0, uiAssetsDir: dir });
    base = `http://127.0.0.1:${server.uiPort}`;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the UI's files, index.html for app paths, and the HTTP API on the same origin", async () => {
    const index = await fetch(`${base}/`);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await index.text()).toContain('id="root"');
    // A deep link of the app (Temporal's HTTP API also binds /namespaces/… without /api/v1: not here).
    const deep = await fetch(`${base}/namespaces/default/workflows`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('id="root"');
    const asset = await fetch(`${base}/assets/app-1234.js`);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const api = await fetch(`${base}/api/v1/namespaces/default`);
    expect(api.status).toBe(200);
    expect(((await api.json()) as { namespaceInfo: { name: string } }).namespaceInfo.name).toBe('default');
    expect((await fetch(`${base}/api/v1/no/such/route`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(200); // the app, never a file outside the UI
  });
});
