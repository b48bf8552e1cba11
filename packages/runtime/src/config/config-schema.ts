import ms from 'ms';
import { z } from 'zod';
import { LOG_FORMATS, LOG_LEVELS } from '../logging/logger.js';
import { DEFAULT_TRACES_SERVICE_NAME, type TracesConfig } from '../telemetry/traces-config.js';
import { validateNamespaceName } from '../namespaces/namespace-validation.js';
import type { DatabaseConfig } from '@chasm/core';
import { DEFAULT_RPC_LIMITS, type RpcLimits } from '../limits/rpc-limits.js';
import type { Quota } from '../limits/priority-rate-limiter.js';
import { RPC_CLASSES } from '../limits/rpc-class.js';
import { DEFAULT_GRPC_PORT, DEFAULT_SHARDS, type ServerConfig } from './server-config.js';
import { DEFAULT_TLS_REFRESH_MS, type TlsConfig } from '../tls/tls-config.js';
import type { AuthConfig } from '../auth/auth-config.js';

/**
 * The server config file's schema (zod: it validates and gives the TypeScript type in one
 * place; ADR 0009). Unknown keys are errors, because they are usually typos. Durations are
 * `ms` strings ('90s', '24h', '7d').
 */
const int = (min: number, max: number) => {
  const error = (iss: { input?: unknown }) => `must be an integer from ${min} to ${max} (got ${JSON.stringify(iss.input)})`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const port = int(0, 65_535);
const text = z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' });

const durationSeconds = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const millis = typeof v === 'number' ? v * 1000 : ms(v as ms.StringValue);
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < 1000 || millis % 1000 !== 0) {
    ctx.addIssue({ code: 'custom', message: `must be a duration of whole seconds like '24h' or '7d' (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
  return millis / 1000;
});

const databaseSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('postgres'),
      url: text.regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// URL' }),
      poolSize: int(1, 1000).optional(),
      /** Milliseconds a statement waits for a connection before it fails UNAVAILABLE. */
      connectTimeoutMs: int(100, 600_000).optional(),
      /** Named prepared statements for the hot writes (default true); false behind a pooler that drops them (ADR 0055). */
      preparedStatements: z.boolean().optional(),
    }),
    z.strictObject({
      kind: z.literal('pglite'),
      dataDir: text.optional(),
      /** Milliseconds between two VACUUMs of the embedded database (PGlite has no autovacuum); 0 turns them off. */
      vacuumIntervalMs: int(0, 86_400_000).optional(),
      /** Bytes of WAL after which a VACUUM starts before its interval (default 8 MiB); 0: by the interval only. */
      vacuumWalBytes: int(0, 1 << 30).optional(),
    }),
  ],
  { error: (iss) => (iss.input === undefined ? 'is required ({ kind: postgres, url } or { kind: pglite, dataDir })' : "must be 'postgres' or 'pglite'") },
);

const durationMillis = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const millis = typeof v === 'number' ? v * 1000 : ms(v as ms.StringValue);
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < 100) {
    ctx.addIssue({ code: 'custom', message: `must be a duration of at least 100ms like '30s' or '5m' (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
  return millis;
});

/** TLS for a listener; `clientCaFile` turns on mTLS (clients must present a certificate it signed). */
const tlsSchema = z
  .strictObject({ certFile: text, keyFile: text, clientCaFile: text.optional(), refreshInterval: durationMillis.optional() })
  .transform(
    (t): TlsConfig => ({
      certFile: t.certFile,
      keyFile: t.keyFile,
      ...(t.clientCaFile !== undefined ? { clientCaFile: t.clientCaFile } : {}),
      refreshIntervalMs: t.refreshInterval ?? DEFAULT_TLS_REFRESH_MS,
    }),
  );

const authSchema = z
  .strictObject({
    jwt: z
      .strictObject({
        jwksFile: text.optional(),
        jwksUrl: text.regex(/^https?:\/\//, { error: 'must be an http(s):// URL' }).optional(),
        issuer: text.optional(),
        audience: text.optional(),
        permissionsClaim: text.default('permissions'),
        systemNamespace: text.default('temporal-system'),
      })
      .refine((j) => (j.jwksFile === undefined) !== (j.jwksUrl === undefined), { error: 'needs exactly one of jwksFile and jwksUrl' })
      .optional(),
  })
  .transform(
    (a): AuthConfig =>
      a.jwt
        ? {
            jwt: {
              permissionsClaim: a.jwt.permissionsClaim,
              systemNamespace: a.jwt.systemNamespace,
              ...(a.jwt.jwksFile !== undefined ? { jwksFile: a.jwt.jwksFile } : {}),
              ...(a.jwt.jwksUrl !== undefined ? { jwksUrl: a.jwt.jwksUrl } : {}),
              ...(a.jwt.issuer !== undefined ? { issuer: a.jwt.issuer } : {}),
              ...(a.jwt.audience !== undefined ? { audience: a.jwt.audience } : {}),
            },
          }
        : {},
  );

/** A listener's settings with `tls` present only when configured (exactOptionalPropertyTypes). */
const withTls = (listener: { host: string; port: number; tls?: TlsConfig | undefined }): { host: string; port: number; tls?: TlsConfig } => {
  const { host, port, tls } = listener;
  return tls ? { host, port, tls } : { host, port };
};
/** Calls a second; fractions allowed (0.5 = one call every 2 s). */
const rps = z
  .number({ error: 'must be a positive number of calls per second' })
  .positive({ error: 'must be a positive number of calls per second' })
  .max(1e9, { error: 'must be at most 1e9' });
const burst = int(1, 1e9);
/** Temporal's burst ratio: a quota saves up to two seconds of calls unless told otherwise. */
const quotaOf = (r: number, b: number | undefined): Quota => ({ rps: r, burst: b ?? Math.max(1, Math.ceil(2 * r)) });
const quotaSchema = z.strictObject({ rps, burst: burst.optional() }).transform((q) => quotaOf(q.rps, q.burst));

const namespaceSchema = z
  .preprocess(
    (v) => (typeof v === 'string' ? { name: v } : v),
    z.strictObject({ name: z.unknown(), description: text.optional(), retention: durationSeconds.optional(), rps: rps.optional(), burst: burst.optional() }),
  )
  .transform((spec, ctx) => {
    if (spec.burst !== undefined && spec.rps === undefined) {
      ctx.addIssue({ code: 'custom', message: 'burst needs rps', path: ['burst'] });
      return z.NEVER;
    }
    try {
      const name = validateNamespaceName(spec.name, 'name');
      return {
        name,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        ...(spec.retention !== undefined ? { retentionSeconds: spec.retention } : {}),
        ...(spec.rps !== undefined ? { quota: quotaOf(spec.rps, spec.burst) } : {}),
      };
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

/**
 * `limits:` the front door's admission limits (ADR 0022). `namespace` is the quota of every
 * namespace without its own (`namespaces: [{ name, rps, burst }]`), `instance` caps this node's
 * calls whatever their namespace, `concurrency` caps calls in flight per class.
 */
const limitsSchema = z.strictObject({
  namespace: quotaSchema.optional(),
  instance: quotaSchema.optional(),
  concurrency: z
    .strictObject(Object.fromEntries(RPC_CLASSES.map((c) => [c, int(1, 1_000_000).optional()])) as Record<(typeof RPC_CLASSES)[number], z.ZodOptional<ReturnType<typeof int>>>)
    .optional(),
  /** Requests that may wait for one execution behind the one it is serving (BUSY_WORKFLOW past it). */
  maxWaitingPerExecution: int(1, 1_000_000).optional(),
});

/** A duration that may be 0 ('0s', '12s', '1h'), in milliseconds. */
const durationOrZeroMillis = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const millis = typeof v === 'number' ? v * 1000 : ms(v as ms.StringValue);
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis < 0 || millis > 30 * 86_400_000) {
    ctx.addIssue({ code: 'custom', message: `must be a duration from 0 to 30 days like '0s' or '1h' (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
  return millis;
});

/** `namespaceDeletion:` DeleteNamespace's background purge (ADR 0036). */
const namespaceDeletionSchema = z
  .strictObject({ delay: durationOrZeroMillis.optional(), settle: durationOrZeroMillis.optional() })
  .transform((d) => ({ ...(d.delay !== undefined ? { delayMs: d.delay } : {}), ...(d.settle !== undefined ? { settleMs: d.settle } : {}) }));

/** `executionCache`: the engine's cache of loaded executions (Temporal's history.cacheMaxSize / cacheTTL). */
const executionCacheSchema = z
  .strictObject({
    /** Executions kept loaded at most (default 10,000). */
    maxExecutions: int(1, 10_000_000).optional(),
    /** An execution unused this long leaves the cache (default 60 s; 0 keeps it until the bound pushes it out). */
    idle: durationOrZeroMillis.optional(),
  })
  .transform((c) => ({ ...(c.maxExecutions !== undefined ? { maxExecutions: c.maxExecutions } : {}), ...(c.idle !== undefined ? { idleMs: c.idle } : {}) }));

/** `telemetry.traces`: the OTLP/HTTP exporter (the only one for now). */
const tracesSchema = z
  .strictObject({
    exporter: z.literal('otlp', { error: "must be 'otlp'" }),
    endpoint: text.regex(/^https?:\/\/[^/]/, { error: 'must be an http(s):// URL of an OTLP/HTTP receiver' }),
    serviceName: text.default(DEFAULT_TRACES_SERVICE_NAME),
    headers: z.record(z.string(), z.string(), { error: 'must be a mapping of header name to value' }).optional(),
  })
  .transform((t): TracesConfig => ({ exporter: t.exporter, endpoint: t.endpoint, serviceName: t.serviceName, ...(t.headers ? { headers: t.headers } : {}) }));

export const configFileSchema = z
  .strictObject({
    database: databaseSchema,
    shards: int(1, 16_384).default(DEFAULT_SHARDS),
    grpc: z
      .strictObject({ host: text.default('127.0.0.1'), port: port.default(DEFAULT_GRPC_PORT), tls: tlsSchema.optional() })
      .default({ host: '127.0.0.1', port: DEFAULT_GRPC_PORT }),
    /** Prometheus `/metrics`; its host defaults to loopback, so exposing gRPC does not expose metrics. */
    metrics: z.strictObject({ host: text.optional(), port, tls: tlsSchema.optional() }).nullish(),
    /** Plugins' HTTP routes; omit to disable. */
    http: z.strictObject({ host: text.optional(), port, tls: tlsSchema.optional() }).nullish(),
    /** The web UI; omit to disable (the default). Its host defaults to the gRPC host. */
    ui: z.strictObject({ host: text.optional(), port, tls: tlsSchema.optional(), assetsDir: text.optional() }).nullish(),
    /** Authorization of gRPC calls; omit for an open server (the dev default). */
    auth: authSchema.optional(),
    packages: z.array(text, { error: 'must be a list' }).default([]),
    /** Per-package settings, keyed by package name; each package validates its own. */
    settings: z.record(z.string(), z.unknown(), { error: 'must be a mapping of package name to settings' }).default({}),
    namespaces: z.array(namespaceSchema, { error: 'must be a list' }).default([]),
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
        /** Absent: pretty on a terminal, JSON otherwise. */
        format: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).optional(),
      })
      .default({ level: 'info' }),
    /** OpenTelemetry traces (ADR 0029); omit for none. */
    telemetry: z.strictObject({ traces: tracesSchema.optional() }).optional(),
    limits: limitsSchema.default({}),
    namespaceDeletion: namespaceDeletionSchema.optional(),
    executionCache: executionCacheSchema.optional(),
  })
  .transform((c): ServerConfig => {
    const { metrics, http, ui, database: db, grpc, auth, namespaces: specs, limits: l, log, telemetry, namespaceDeletion, executionCache, ...rest } = c;
    const namespaces = specs.map(({ quota: _quota, ...seed }) => seed);
    const concurrency = { ...DEFAULT_RPC_LIMITS.concurrency };
    for (const cls of RPC_CLASSES) concurrency[cls] = l.concurrency?.[cls] ?? concurrency[cls];
    const limits: RpcLimits = {
      namespace: l.namespace ?? DEFAULT_RPC_LIMITS.namespace,
      namespaces: Object.fromEntries(specs.flatMap((n) => (n.quota ? [[n.name, n.quota]] : []))),
      ...(l.instance ? { instance: l.instance } : {}),
      concurrency,
      maxWaitingPerExecution: l.maxWaitingPerExecution ?? DEFAULT_RPC_LIMITS.maxWaitingPerExecution,
    };
    // exactOptionalPropertyTypes: absent keys stay absent instead of holding undefined.
    const database: DatabaseConfig =
      db.kind === 'postgres'
        ? {
            kind: 'postgres',
            url: db.url,
            ...(db.poolSize !== undefined ? { poolSize: db.poolSize } : {}),
            ...(db.connectTimeoutMs !== undefined ? { connectTimeoutMs: db.connectTimeoutMs } : {}),
            ...(db.preparedStatements !== undefined ? { preparedStatements: db.preparedStatements } : {}),
          }
        : {
            kind: 'pglite',
            ...(db.dataDir !== undefined ? { dataDir: db.dataDir } : {}),
            ...(db.vacuumIntervalMs !== undefined ? { vacuumIntervalMs: db.vacuumIntervalMs } : {}),
            ...(db.vacuumWalBytes !== undefined ? { vacuumWalBytes: db.vacuumWalBytes } : {}),
          };
    return {
      ...rest,
      namespaces,
      limits,
      database,
      grpc: withTls(grpc),
      ...(metrics ? { metrics: withTls({ host: metrics.host ?? '127.0.0.1', port: metrics.port, tls: metrics.tls }) } : {}),
      ...(http ? { http: withTls({ host: http.host ?? c.grpc.host, port: http.port, tls: http.tls }) } : {}),
      ...(ui
        ? { ui: { ...withTls({ host: ui.host ?? c.grpc.host, port: ui.port, tls: ui.tls }), ...(ui.assetsDir !== undefined ? { assetsDir: ui.assetsDir } : {}) } }
        : {}),
      ...(auth ? { auth } : {}),
      log: log.format ? { level: log.level, format: log.format } : { level: log.level },
      ...(telemetry?.traces ? { telemetry: { traces: telemetry.traces } } : {}),
      ...(namespaceDeletion ? { namespaceDeletion } : {}),
      ...(executionCache ? { executionCache } : {}),
    };
  });
