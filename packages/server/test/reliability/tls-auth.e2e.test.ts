import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type IssuedCertificate, type TestCa } from './test-certificates.js';

/**
 * TLS, mTLS and authorization (issue 15, reliability suite): a server with mTLS on gRPC, TLS on
 * /metrics and the JWT claim mapper on, driven by the official SDK over real TLS with
 * certificates `openssl` made for this test and tokens jose signed with keys made here.
 *
 * - A client with no certificate, with one from another CA, or with no TLS at all, is refused.
 * - Without a token only GetSystemInfo answers; a token that does not verify is UNAUTHENTICATED.
 * - A reader reads but cannot start or terminate (PERMISSION_DENIED); a writer of another
 *   namespace cannot start here; a writer can; a worker token runs an SDK worker's polls.
 * - Namespace administration (UpdateNamespace, DeleteNamespace, AddSearchAttributes) needs the
 *   system admin: a namespace admin is refused, the system admin is allowed.
 * - A rotated server certificate is served to new connections without a restart.
 */
const CODE = { OK: 0, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;

/** The gRPC status code a call ended with (0 when it succeeded). */
async function codeOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return CODE.OK;
  } catch (e) {
    const err = (e as { cause?: unknown }).cause ?? e;
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'number') throw e;
    return code;
  }
}

async function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt().catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What the server does with a raw TLS client (h2 ALPN): 'served' once it sends its first bytes
 * (the HTTP/2 SETTINGS frame), else the error code the handshake ended with (e.g. the server's
 * 'certificate required' alert).
 */
function handshake(port: number, options: TlsOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], ...options });
    const done = (outcome: string): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.once('data', () => done('served'));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.once('close', () => done('closed'));
    socket.setTimeout(5_000, () => done('timeout'));
  });
}

function fetchStatus(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = url.startsWith('https:') ? httpsGet(url, { ca }, onResponse) : httpGet(url, onResponse);
    req.setTimeout(5_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe.each(testDatabaseConfigs('chasm_tls_auth_e2e'))('TLS, mTLS and authorization on $name', (store) => {
  let dir: string;
  let ca: TestCa;
  let serverCert: IssuedCertificate;
  let clientCert: IssuedCertificate;
  let server: TestServer;
  let drop: () => Promise<void>;
  let signingKey: CryptoKey;
  const connections: Connection[] = [];

  const token = (permissions: string[], key: CryptoKey = signingKey) =>
    new SignJWT({ permissions }).setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).setSubject('tester').setIssuedAt().setExpirationTime('10m').sign(key);

  /**
   * Whether the SDK client gets a connection at all (it gives up after `connectTimeout`). A
   * refusal is only believed next to a success with the same timeout, and the raw handshakes
   * below say why it was refused.
   */
  const canConnect = async (tls: NonNullable<ConnectionOptions['tls']>, connectTimeout = 3_000): Promise<boolean> => {
    try {
      await connect({ tls, connectTimeout });
      return true;
    } catch (e) {
      if (/Failed to connect/.test((e as Error).message)) return false;
      throw e;
    }
  };

  /** An SDK connection with no retry interceptor (each call's own status is seen). */
  const connect = async (options: Partial<ConnectionOptions> & { bearer?: string } = {}): Promise<Connection> => {
    const { bearer, ...rest } = options;
    const connection = await Connection.connect({
      address: server.address,
      tls: { serverRootCACertificate: ca.cert, clientCertPair: { crt: clientCert.cert, key: clientCert.key } },
      interceptors: [],
      connectTimeout: 5_000,
      ...(bearer !== undefined ? { metadata: { authorization: `Bearer ${bearer}` } } : {}),
      ...rest,
    });
    connections.push(connection);
    return connection;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chasm-tls-auth-'));
    ca = createTestCa(dir, 'ca');
    serverCert = ca.issue('server', 'server');
    clientCert = ca.issue('client', 'client');
    const keys = await generateKeyPair('ES256');
    signingKey = keys.privateKey;
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' }] }));

    const db = await store.open();
    drop = db.drop;
    server = await startTestServer({
      plugins: [matchingPlugin, workflowPlugin],
      database: db.config,
      namespaces: ['default', 'other'],
      // A short refresh so the rotation case does not wait a minute.
      grpcTls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile, clientCaFile: ca.certFile, refreshIntervalMs: 200 },
      metricsPort: 0,
      metricsTls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile, refreshIntervalMs: 200 },
      auth: { jwt: { jwksFile, permissionsClaim: 'permissions', systemNamespace: 'temporal-system' } },
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of connections) await c.close().catch(() => undefined);
    await server?.stop();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('mTLS', () => {
    it('refuses a client with no certificate, one from another CA, and one without TLS', async () => {
      const stranger = createTestCa(dir, 'stranger-ca').issue('stranger-client', 'client');
      const [noCert, otherCa, plaintext, good] = await Promise.all([
        canConnect({ serverRootCACertificate: ca.cert }),
        canConnect({ serverRootCACertificate: ca.cert, clientCertPair: { crt: stranger.cert, key: stranger.key } }),
        canConnect(false),
        canConnect({ serverRootCACertificate: ca.cert, clientCertPair: { crt: clientCert.cert, key: clientCert.key } }, 15_000),
      ]);
      expect({ noCert, otherCa, plaintext, good }).toEqual({ noCert: false, otherCa: false, plaintext: false, good: true });
      // Why, seen on a raw TLS socket: the server ends the handshake itself.
      const port = server.port;
      expect(await handshake(port, { ca: ca.cert })).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
      // (An unknown CA ends in an alert or a bare close, depending on timing; never in service.)
      expect(await handshake(port, { ca: ca.cert, cert: stranger.cert, key: stranger.key })).not.toBe('served');
      expect(await handshake(port, { ca: ca.cert, cert: clientCert.cert, key: clientCert.key })).toBe('served');
    });

    it('serves a client with a certificate the CA signed', async () => {
      const connection = await connect();
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    });
  });

  describe('JWT authorization', () => {
    const start = (connection: Connection, namespace = 'default') =>
      connection.workflowService.startWorkflowExecution({
        namespace,
        workflowId: `auth-${randomUUID()}`,
        workflowType: { name: 'nobodyRunsThis' },
        taskQueue: { name: 'auth-nobody-polls' },
        requestId: randomUUID(),
      });

    it('answers only GetSystemInfo without a token, and UNAUTHENTICATED for a token that does not verify', async () => {
      const anonymous = await connect();
      expect(await codeOf(anonymous.workflowService.getSystemInfo({}))).toBe(CODE.OK);
      expect(await codeOf(start(anonymous))).toBe(CODE.PERMISSION_DENIED);
      expect(await codeOf(anonymous.workflowService.describeNamespace({ namespace: 'default' }))).toBe(CODE.PERMISSION_DENIED);

      // The SDK's connect calls GetSystemInfo with the token: a bad token fails there already,
      // as with Temporal (claims are mapped before the authorizer sees the method).
      const forged = await token(['temporal-system:admin'], (await generateKeyPair('ES256')).privateKey);
      expect(await codeOf(connect({ bearer: forged }))).toBe(CODE.UNAUTHENTICATED);
      const garbage = await connect({ metadata: {} });
      expect(await codeOf(garbage.withMetadata({ authorization: 'Bearer not-a-jwt' }, () => garbage.operatorService.deleteNamespace({ namespace: 'default' })))).toBe(
        CODE.UNAUTHENTICATED,
      );
    });

    it('lets a reader read but not start or terminate', async () => {
      const writer = await connect({ bearer: await token(['default:write']) });
      const { runId } = await start(writer).then((r) => ({ runId: r.runId }));
      expect(runId).toBeTruthy();
      const reader = await connect({ bearer: await token(['default:read']) });
      expect(await codeOf(reader.workflowService.describeNamespace({ namespace: 'default' }))).toBe(CODE.OK);
      expect(await codeOf(reader.workflowService.listWorkflowExecutions({ namespace: 'default', query: '' }))).toBe(CODE.OK);
      expect(await codeOf(start(reader))).toBe(CODE.PERMISSION_DENIED);
      const terminate = reader.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: 'whatever' }, reason: 'r' });
      const err = await terminate.then(
        () => undefined,
        (e: unknown) => e as { code: number; details: string },
      );
      expect(err?.code).toBe(CODE.PERMISSION_DENIED);
      expect(err?.details).toMatch(/TerminateWorkflowExecution needs write access to namespace 'default'/);
    });

    it("lets a writer start and terminate in its namespace, and refuses a writer of another namespace", async () => {
      const writer = await connect({ bearer: await token(['default:write']) });
      const workflowId = `auth-${randomUUID()}`;
      await writer.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowId,
        workflowType: { name: 'nobodyRunsThis' },
        taskQueue: { name: 'auth-nobody-polls' },
        requestId: randomUUID(),
      });
      expect(await codeOf(writer.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, reason: 'test' }))).toBe(CODE.OK);

      const otherWriter = await connect({ bearer: await token(['other:write']) });
      expect(await codeOf(start(otherWriter, 'default'))).toBe(CODE.PERMISSION_DENIED);
      expect(await codeOf(start(otherWriter, 'other'))).toBe(CODE.OK);
    });

    it('keeps namespace administration to the system admin', async () => {
      const namespaceAdmin = await connect({ bearer: await token(['default:admin']) });
      const admin = await connect({ bearer: await token(['temporal-system:admin']) });
      const namespace = `auth-ns-${randomUUID().slice(0, 8)}`;

      expect(await codeOf(namespaceAdmin.workflowService.registerNamespace({ namespace }))).toBe(CODE.PERMISSION_DENIED);
      expect(await codeOf(admin.workflowService.registerNamespace({ namespace }))).toBe(CODE.OK);

      const update = { namespace, updateInfo: { description: 'changed by the system admin' } };
      expect(await codeOf(namespaceAdmin.workflowService.updateNamespace({ ...update, namespace: 'default' }))).toBe(CODE.PERMISSION_DENIED);
      expect(await codeOf(admin.workflowService.updateNamespace(update))).toBe(CODE.OK);
      const described = await admin.workflowService.describeNamespace({ namespace });
      expect(described.namespaceInfo?.description).toBe('changed by the system admin');

      expect(await codeOf(namespaceAdmin.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: { Color: 2 } }))).toBe(CODE.PERMISSION_DENIED);
      expect(await codeOf(namespaceAdmin.operatorService.deleteNamespace({ namespace: 'default' }))).toBe(CODE.PERMISSION_DENIED);
      expect(await codeOf(admin.operatorService.deleteNamespace({ namespace }))).toBe(CODE.OK);
      // The refused delete changed nothing.
      expect(await codeOf(admin.workflowService.describeNamespace({ namespace: 'default' }))).toBe(CODE.OK);
    });

    it('runs an SDK worker (Rust core, mTLS) whose token has the worker role', { timeout: 60_000 }, async () => {
      const taskQueue = `auth-worker-${randomUUID().slice(0, 8)}`;
      const native = await NativeConnection.connect({
        address: server.address,
        tls: { serverRootCACertificate: ca.cert, clientCertPair: { crt: clientCert.cert, key: clientCert.key } },
        apiKey: await token(['default:worker']),
      });
      try {
        const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, activities: { hello: async () => 'hi' } });
        const running = worker.run();
        const reader = await connect({ bearer: await token(['default:read']) });
        await until('no activity poller', 20_000, async () => {
          const d = await reader.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2 });
          return (d.pollers ?? []).length > 0 ? true : undefined;
        });
        worker.shutdown();
        await running;
      } finally {
        await native.close();
      }
    });
  });

  it('serves /metrics over TLS only, counting the refusals', async () => {
    const url = `https://127.0.0.1:${server.metricsPort}/metrics`;
    const { status, body } = await fetchStatus(url, ca.cert);
    expect(status).toBe(200);
    expect(body).toMatch(/service_authorization_refusals_total\{method="StartWorkflowExecution",code="PERMISSION_DENIED"\} [1-9]/);
    await expect(fetchStatus(`http://127.0.0.1:${server.metricsPort}/metrics`)).rejects.toThrow();
  });

  it('serves a rotated server certificate to new connections without a restart', { timeout: 60_000 }, async () => {
    const nextCa = createTestCa(dir, 'next-ca');
    const next = nextCa.issue('next-server', 'server');
    const trustsNext = () => canConnect({ serverRootCACertificate: nextCa.cert, clientCertPair: { crt: clientCert.cert, key: clientCert.key } });
    expect(await trustsNext()).toBe(false);
    // Replace both files by rename, the way a certificate manager does (no half-written file).
    copyFileSync(next.keyFile, `${serverCert.keyFile}.new`);
    copyFileSync(next.certFile, `${serverCert.certFile}.new`);
    renameSync(`${serverCert.keyFile}.new`, serverCert.keyFile);
    renameSync(`${serverCert.certFile}.new`, serverCert.certFile);
    await until('the rotated certificate was not served', 20_000, async () => ((await trustsNext()) ? true : undefined));
    // Clients that trust only the old CA now fail the handshake.
    expect(await canConnect({ serverRootCACertificate: ca.cert, clientCertPair: { crt: clientCert.cert, key: clientCert.key } })).toBe(false);
  });
});
