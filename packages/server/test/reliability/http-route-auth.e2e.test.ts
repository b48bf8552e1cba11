import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { nexusPlugin } from '@chasm/nexus';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Connection } from '@temporalio/client';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Authorization on plugins' HTTP routes (issue 15): with the JWT claim mapper on, the Nexus
 * endpoint's HTTP handler (a route the nexus package contributes) is behind the same gate as
 * gRPC: no token 403, a token that does not verify 401, a reader of the endpoint's namespace or
 * a writer of another namespace 403, a writer of the endpoint's namespace gets through to the
 * handler (no worker polls its queue, so it answers the handler's timeout, not 401/403).
 * Real tokens signed with keys made here, the server over real HTTP, PGlite and Postgres.
 */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end('{}');
  });
}

describe.each(testDatabaseConfigs('chasm_http_route_auth'))('authorization of plugin HTTP routes on $name', (store) => {
  let dir: string;
  let server: TestServer;
  let drop: () => Promise<void>;
  let signingKey: CryptoKey;
  let startUrl: string;

  const token = (permissions: string[], key: CryptoKey = signingKey) =>
    new SignJWT({ permissions }).setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).setSubject('tester').setIssuedAt().setExpirationTime('10m').sign(key);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chasm-http-auth-'));
    const keys = await generateKeyPair('ES256');
    signingKey = keys.privateKey;
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' }] }));
    const db = await store.open();
    drop = db.drop;
    server = await startTestServer({
      plugins: [matchingPlugin, workflowPlugin, nexusPlugin],
      database: db.config,
      namespaces: ['default', 'other'],
      httpPort: 0,
      auth: { jwt: { jwksFile, permissionsClaim: 'permissions', systemNamespace: 'temporal-system' } },
    });
    const admin = await Connection.connect({ address: server.address, interceptors: [], metadata: { authorization: `Bearer ${await token(['temporal-system:admin'])}` } });
    try {
      const created = await admin.operatorService.createNexusEndpoint({
        spec: { name: `auth-${randomUUID().slice(0, 8)}`, target: { worker: { namespace: 'default', taskQueue: `auth-${randomUUID()}` } } },
      });
      startUrl = `http://127.0.0.1:${server.httpPort}/nexus/endpoints/${created.endpoint!.id!}/services/svc/op`;
    } finally {
      await admin.close();
    }
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the Nexus endpoint handler without a token, with a forged one, and without a write role in its namespace', { timeout: 120_000 }, async () => {
    const timeout = { 'request-timeout': '2s' };
    // As for gRPC (Temporal's way): no token is no claims, so PERMISSION_DENIED; a token that
    // does not verify is UNAUTHENTICATED.
    const none = await post(startUrl, timeout);
    expect(none.status, none.body).toBe(403);
    const forged = await post(startUrl, { ...timeout, authorization: `Bearer ${await token(['default:write'], (await generateKeyPair('ES256')).privateKey)}` });
    expect(forged.status, forged.body).toBe(401);
    const reader = await post(startUrl, { ...timeout, authorization: `Bearer ${await token(['default:read'])}` });
    expect(reader.status, reader.body).toBe(403);
    expect(reader.body).toContain('DispatchByEndpoint');
    const otherWriter = await post(startUrl, { ...timeout, authorization: `Bearer ${await token(['other:write'])}` });
    expect(otherWriter.status, otherWriter.body).toBe(403);
  });

  it('lets a writer of the endpoint namespace and the system admin through to the handler', { timeout: 120_000 }, async () => {
    const timeout = { 'request-timeout': '2s' };
    for (const permissions of [['default:write'], ['temporal-system:admin']]) {
      const res = await post(startUrl, { ...timeout, authorization: `Bearer ${await token(permissions)}` });
      expect([401, 403], `${permissions.join(',')}: ${res.status} ${res.body}`).not.toContain(res.status);
    }
  });
});
