import ms from 'ms';
import { z } from 'zod';
import { LOG_LEVELS } from '../logging/logger.js';
import { validateNamespaceName } from '../namespaces/namespace-validation.js';
import type { DatabaseConfig } from '@chasm/core';
import { DEFAULT_GRPC_PORT, DEFAULT_SHARDS, type ServerConfig } from './server-config.js';

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
    }),
    z.strictObject({
      kind: z.literal('pglite'),
      dataDir: text.optional(),
      /** Milliseconds between two VACUUMs of the embedded database (PGlite has no autovacuum); 0 turns them off. */
      vacuumIntervalMs: int(0, 86_400_000).optional(),
    }),
  ],
  { error: (iss) => (iss.input === undefined ? 'is required ({ kind: postgres, url } or { kind: pglite, dataDir })' : "must be 'postgres' or 'pglite'") },
);

const namespaceSchema = z
  .preprocess((v) => (typeof v === 'string' ? { name: v } : v), z.strictObject({ name: z.unknown(), description: text.optional(), retention: durationSeconds.optional() }))
  .transform((spec, ctx) => {
    try {
      const name = validateNamespaceName(spec.name, 'name');
      return {
        name,
        ...(spec.description !== undefined ? { description: spec.description } : {}),
        ...(spec.retention !== undefined ? { retentionSeconds: spec.retention } : {}),
      };
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

export const configFileSchema = z
  .strictObject({
    database: databaseSchema,
    shards: int(1, 16_384).default(DEFAULT_SHARDS),
    grpc: z.strictObject({ host: text.default('127.0.0.1'), port: port.default(DEFAULT_GRPC_PORT) }).default({ host: '127.0.0.1', port: DEFAULT_GRPC_PORT }),
    /** Prometheus `/metrics`; its host defaults to loopback, so exposing gRPC does not expose metrics. */
    metrics: z.strictObject({ host: text.optional(), port }).nullish(),
    /** Plugins' HTTP routes; omit to disable. */
    http: z.strictObject({ host: text.optional(), port }).nullish(),
    packages: z.array(text, { error: 'must be a list' }).default([]),
    /** Per-package settings, keyed by package name; each package validates its own. */
    settings: z.record(z.string(), z.unknown(), { error: 'must be a mapping of package name to settings' }).default({}),
    namespaces: z.array(namespaceSchema, { error: 'must be a list' }).default([]),
    log: z.strictObject({ level: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info') }).default({ level: 'info' }),
  })
  .transform((c): ServerConfig => {
    const { metrics, http, database: db, ...rest } = c;
    // exactOptionalPropertyTypes: absent keys stay absent instead of holding undefined.
    const database: DatabaseConfig =
      db.kind === 'postgres'
        ? {
            kind: 'postgres',
            url: db.url,
            ...(db.poolSize !== undefined ? { poolSize: db.poolSize } : {}),
            ...(db.connectTimeoutMs !== undefined ? { connectTimeoutMs: db.connectTimeoutMs } : {}),
          }
        : {
            kind: 'pglite',
            ...(db.dataDir !== undefined ? { dataDir: db.dataDir } : {}),
            ...(db.vacuumIntervalMs !== undefined ? { vacuumIntervalMs: db.vacuumIntervalMs } : {}),
          };
    return {
      ...rest,
      database,
      ...(metrics ? { metrics: { host: metrics.host ?? '127.0.0.1', port: metrics.port } } : {}),
      ...(http ? { http: { host: http.host ?? c.grpc.host, port: http.port } } : {}),
    };
  });
