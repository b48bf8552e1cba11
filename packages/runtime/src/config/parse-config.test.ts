import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './parse-config.js';
import { devConfig } from './server-config.js';
import { DEFAULT_RPC_LIMITS } from '../limits/rpc-limits.js';

describe('parseConfig', () => {
  it('reads a full config', () => {
    const config = parseConfig({
      database: { kind: 'postgres', url: 'postgres://u@db:5432/t' },
      shards: 16,
      grpc: { host: '0.0.0.0', port: 7233 },
      metrics: { port: 9090 },
      packages: ['matching'],
      namespaces: ['default', { name: 'orders', retention: '7d', description: 'o' }],
      log: { level: 'debug' },
      limits: { namespace: { rps: 100 }, instance: { rps: 1000, burst: 1500 }, concurrency: { poll: 50 }, maxWaitingPerExecution: 20 },
    });
    expect(config).toEqual({
      database: { kind: 'postgres', url: 'postgres://u@db:5432/t' },
      shards: 16,
      grpc: { host: '0.0.0.0', port: 7233 },
      // gRPC on every interface does not put /metrics there too: it stays on loopback unless asked.
      metrics: { host: '127.0.0.1', port: 9090 },
      packages: ['matching'],
      settings: {},
      namespaces: [{ name: 'default' }, { name: 'orders', retentionSeconds: 7 * 86400, description: 'o' }],
      log: { level: 'debug' },
      limits: {
        namespace: { rps: 100, burst: 200 },
        namespaces: {},
        instance: { rps: 1000, burst: 1500 },
        concurrency: { ...DEFAULT_RPC_LIMITS.concurrency, poll: 50 },
        maxWaitingPerExecution: 20,
      },
    });
  });

  it('passes the Postgres options through, prepared statements included (ADR 0055)', () => {
    const database = { kind: 'postgres', url: 'postgres://u@db:5432/t', poolSize: 20, connectTimeoutMs: 5000, preparedStatements: false };
    expect(parseConfig({ database }).database).toEqual(database);
  });

  it('reads per-namespace quotas (burst defaults to two seconds of rate) and defaults the limits', () => {
    const config = parseConfig({
      database: { kind: 'pglite' },
      namespaces: ['default', { name: 'noisy', rps: 10 }, { name: 'batch', rps: 0.5, burst: 3 }],
    });
    expect(config.namespaces).toEqual([{ name: 'default' }, { name: 'noisy' }, { name: 'batch' }]);
    expect(config.limits).toEqual({
      namespace: DEFAULT_RPC_LIMITS.namespace,
      namespaces: { noisy: { rps: 10, burst: 20 }, batch: { rps: 0.5, burst: 3 } },
      concurrency: DEFAULT_RPC_LIMITS.concurrency,
      maxWaitingPerExecution: 500,
    });
  });

  it.each([
    [{}, /database: is required/],
    [{ database: { kind: 'mysql' } }, /database.kind: must be 'postgres' or 'pglite'/],
    [{ database: { kind: 'postgres', url: 'http://x' } }, /database.url: must be a postgres:\/\/ URL/],
    [{ database: { kind: 'postgres', url: 'postgres://x', preparedStatements: 'no' } }, /database.preparedStatements/],
    [{ database: { kind: 'pglite' }, grpc: { port: 70000 } }, /grpc.port: must be an integer from 0 to 65535/],
    [{ database: { kind: 'pglite' }, shards: 0 }, /shards: must be an integer/],
    [{ database: { kind: 'pglite' }, grcp: {} }, /unknown key 'grcp'/],
    [{ database: { kind: 'pglite' }, namespaces: [''] }, /namespaces\[0\]: name is required/],
    [{ database: { kind: 'pglite' }, namespaces: [{ name: 'a', retention: 'forever' }] }, /namespaces\[0\].retention/],
    [{ database: { kind: 'pglite' }, log: { level: 'loud' } }, /log.level: must be one of/],
    [{ database: { kind: 'pglite' }, packages: 'matching' }, /packages: must be a list/],
    [{ database: { kind: 'pglite' }, settings: ['x'] }, /settings: must be a mapping/],
    [{ database: { kind: 'pglite' }, grpc: { port: 7233, hots: 'x' } }, /grpc: unknown key 'hots'/],
    [{ database: { kind: 'pglite' }, grpc: { tls: { certFile: 'c.pem' } } }, /grpc.tls.keyFile/],
    [{ database: { kind: 'pglite' }, grpc: { tls: { certFile: 'c', keyFile: 'k', refreshInterval: 'often' } } }, /grpc.tls.refreshInterval: must be a duration/],
    [{ database: { kind: 'pglite' }, auth: { jwt: {} } }, /auth.jwt: needs exactly one of jwksFile and jwksUrl/],
    [{ database: { kind: 'pglite' }, auth: { jwt: { jwksUrl: 'ftp://x' } } }, /auth.jwt.jwksUrl: must be an http/],
    [{ database: { kind: 'pglite' }, auth: { oidc: {} } }, /auth: unknown key 'oidc'/],
    [{ database: { kind: 'pglite' }, namespaces: [{ name: 'a', rps: 0 }] }, /namespaces\[0\].rps: must be a positive number/],
    [{ database: { kind: 'pglite' }, namespaces: [{ name: 'a', burst: 5 }] }, /namespaces\[0\].burst: burst needs rps/],
    [{ database: { kind: 'pglite' }, limits: { concurrency: { polls: 5 } } }, /limits.concurrency: unknown key 'polls'/],
    [{ database: { kind: 'pglite' }, limits: { namespace: { rps: 10, burst: 0 } } }, /limits.namespace.burst: must be an integer/],
  ])('rejects %j', (doc, message) => {
    expect(() => parseConfig(doc)).toThrow(ConfigError);
    expect(() => parseConfig(doc)).toThrow(message);
  });
});

describe('parseConfig: TLS and auth', () => {
  it('reads TLS per listener and the JWT settings, with Temporal defaults', () => {
    const tls = { certFile: '/t/s.pem', keyFile: '/t/s.key' };
    const config = parseConfig({
      database: { kind: 'pglite' },
      grpc: { host: '0.0.0.0', tls: { ...tls, clientCaFile: '/t/ca.pem', refreshInterval: '30s' } },
      metrics: { port: 9090, tls },
      auth: { jwt: { jwksFile: '/t/jwks.json', audience: 'temporal' } },
    });
    expect(config.grpc).toEqual({ host: '0.0.0.0', port: 7233, tls: { ...tls, clientCaFile: '/t/ca.pem', refreshIntervalMs: 30_000 } });
    // TLS on metrics does not move it off loopback.
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9090, tls: { ...tls, refreshIntervalMs: 60_000 } });
    expect(config.auth).toEqual({ jwt: { jwksFile: '/t/jwks.json', audience: 'temporal', permissionsClaim: 'permissions', systemNamespace: 'temporal-system' } });
  });

  it('stays open without `auth:` and plain without `tls:` (the dev default)', () => {
    const config = parseConfig({ database: { kind: 'pglite' } });
    expect(config.auth).toBeUndefined();
    expect(config.grpc).toEqual({ host: '127.0.0.1', port: 7233 });
    expect(devConfig({}).auth).toBeUndefined();
  });

  it('reads namespaceDeletion (ADR 0036): Temporal defaults when absent, durations from 0', () => {
    expect(parseConfig({ database: { kind: 'pglite' } }).namespaceDeletion).toBeUndefined();
    expect(parseConfig({ database: { kind: 'pglite' }, namespaceDeletion: { delay: '1h', settle: 0 } }).namespaceDeletion).toEqual({ delayMs: 3_600_000, settleMs: 0 });
    expect(() => parseConfig({ database: { kind: 'pglite' }, namespaceDeletion: { delay: '31d' } })).toThrow(/namespaceDeletion\.delay/);
    expect(() => parseConfig({ database: { kind: 'pglite' }, namespaceDeletion: { wait: '1s' } })).toThrow(/namespaceDeletion/);
  });

  it('reads executionCache: the engine defaults when absent, bounds checked', () => {
    expect(parseConfig({ database: { kind: 'pglite' } }).executionCache).toBeUndefined();
    expect(parseConfig({ database: { kind: 'pglite' }, executionCache: { maxExecutions: 500, idle: '5m' } }).executionCache).toEqual({ maxExecutions: 500, idleMs: 300_000 });
    expect(parseConfig({ database: { kind: 'pglite' }, executionCache: { idle: 0 } }).executionCache).toEqual({ idleMs: 0 });
    expect(() => parseConfig({ database: { kind: 'pglite' }, executionCache: { maxExecutions: 0 } })).toThrow(/executionCache\.maxExecutions/);
    expect(() => parseConfig({ database: { kind: 'pglite' }, executionCache: { size: 5 } })).toThrow(/executionCache/);
  });

  it('accepts the production example in docs/config', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parse } = await import('yaml');
    const doc: unknown = parse(await readFile(new URL('../../../../docs/config/production.yaml', import.meta.url), 'utf8'));
    const config = parseConfig(doc);
    expect(config.grpc.tls?.clientCaFile).toBeDefined();
    expect(config.auth?.jwt?.jwksUrl).toMatch(/^https:/);
  });
});

describe('devConfig', () => {
  it('defaults to 127.0.0.1:7233, in-memory PGlite and namespace default', () => {
    expect(devConfig({})).toMatchObject({
      database: { kind: 'pglite' },
      grpc: { host: '127.0.0.1', port: 7233 },
      metrics: { port: 7239 },
      namespaces: [{ name: 'default' }],
    });
    expect(devConfig({ dataDir: '/tmp/x', metricsPort: null })).toMatchObject({ database: { kind: 'pglite', dataDir: '/tmp/x' } });
    expect(devConfig({ metricsPort: null }).metrics).toBeUndefined();
  });

  it('serves HTTP on 7243; ports not given follow --port and may fall back, given ones are exact (ADR 0029)', () => {
    expect(devConfig({}).http).toEqual({ host: '127.0.0.1', port: 7243, orFreePort: true });
    expect(devConfig({ port: 7233 })).toMatchObject({ metrics: { port: 7239 }, http: { port: 7243 } });
    expect(devConfig({ port: 7300 })).toMatchObject({ grpc: { port: 7300 }, metrics: { port: 7306, orFreePort: true }, http: { port: 7310, orFreePort: true } });
    // No port past the end of the range: any free one.
    expect(devConfig({ port: 65_530 })).toMatchObject({ metrics: { port: 0 }, http: { port: 0 } });
    expect(devConfig({ port: 0 })).toMatchObject({ metrics: { port: 0 }, http: { port: 0 } });
    const chosen = devConfig({ port: 7300, metricsPort: 9100, httpPort: null });
    expect(chosen.metrics).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(chosen.http).toBeUndefined();
  });

  it('serves a UI (port +1000) only when a UI package is installed or a port is given', () => {
    expect(devConfig({}).ui).toBeUndefined();
    expect(devConfig({ uiInstalled: true }).ui).toEqual({ host: '127.0.0.1', port: 8233, orFreePort: true });
    expect(devConfig({ uiInstalled: true, port: 7300 }).ui).toMatchObject({ port: 8300 });
    expect(devConfig({ uiInstalled: true, uiPort: null }).ui).toBeUndefined();
    expect(devConfig({ uiPort: 9000 }).ui).toEqual({ host: '127.0.0.1', port: 9000 });
  });

  it('log format and traces', () => {
    expect(devConfig({}).log).toEqual({ level: 'info' });
    expect(devConfig({ logFormat: 'pretty' }).log).toEqual({ level: 'info', format: 'pretty' });
    expect(devConfig({}).telemetry).toBeUndefined();
    expect(devConfig({ tracesEndpoint: 'http://127.0.0.1:4318' }).telemetry).toEqual({
      traces: { exporter: 'otlp', endpoint: 'http://127.0.0.1:4318', serviceName: 'chasm-server' },
    });
  });
});

describe('parseConfig: ui, log format, telemetry', () => {
  const base = { database: { kind: 'pglite' } };
  it('reads them', () => {
    const c = parseConfig({
      ...base,
      ui: { port: 8233 },
      log: { level: 'warn', format: 'json' },
      telemetry: { traces: { exporter: 'otlp', endpoint: 'https://otel.example:4318/v1/traces', headers: { 'x-key': 'k' } } },
    });
    expect(c.ui).toEqual({ host: '127.0.0.1', port: 8233 });
    expect(c.log).toEqual({ level: 'warn', format: 'json' });
    expect(c.telemetry).toEqual({ traces: { exporter: 'otlp', endpoint: 'https://otel.example:4318/v1/traces', serviceName: 'chasm-server', headers: { 'x-key': 'k' } } });
    expect(parseConfig(base).telemetry).toBeUndefined();
    expect(parseConfig(base).log).toEqual({ level: 'info' });
  });
  it('names the bad field', () => {
    expect(() => parseConfig({ ...base, telemetry: { traces: { exporter: 'zipkin', endpoint: 'http://x' } } })).toThrow(/telemetry\.traces\.exporter.*otlp/);
    expect(() => parseConfig({ ...base, telemetry: { traces: { exporter: 'otlp', endpoint: 'localhost:4318' } } })).toThrow(/telemetry\.traces\.endpoint/);
    expect(() => parseConfig({ ...base, log: { format: 'xml' } })).toThrow(/log\.format.*pretty, json/);
    expect(() => parseConfig({ ...base, ui: { port: 70_000 } })).toThrow(/ui\.port/);
  });
});

describe('ui config', () => {
  it('is off unless configured, and takes host, port, tls and assetsDir', () => {
    expect(parseConfig({ database: { kind: 'pglite' } }).ui).toBeUndefined();
    expect(parseConfig({ database: { kind: 'pglite' }, grpc: { host: '0.0.0.0' }, ui: { port: 8233 } }).ui).toEqual({ host: '0.0.0.0', port: 8233 });
    expect(parseConfig({ database: { kind: 'pglite' }, ui: { port: 8233, host: '127.0.0.1', assetsDir: '/srv/ui' } }).ui).toEqual({ host: '127.0.0.1', port: 8233, assetsDir: '/srv/ui' });
    expect(() => parseConfig({ database: { kind: 'pglite' }, ui: { port: 8233, dir: 'x' } })).toThrow(/ui: unknown key 'dir'/);
  });
});
