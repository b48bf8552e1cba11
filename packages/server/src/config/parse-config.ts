import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { DatabaseConfig } from '@chasm/core';
import { LOG_LEVELS, type LogLevel } from '../logging/logger.js';
import { validateNamespaceName } from '../namespaces/namespace-validation.js';
import { parseDurationSeconds } from './duration.js';
import { DEFAULT_GRPC_PORT, DEFAULT_SHARDS, type NamespaceSeed, type ServerConfig } from './server-config.js';

/** A configuration file that cannot be used; the message names the offending key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates a YAML config file. */
export async function loadConfigFile(path: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
  return parseConfig(doc, path);
}

/**
 * Validates a parsed config document:
 * `{ database: { kind: postgres, url } | { kind: pglite, dataDir? }, shards, grpc: { host, port },
 *    metrics: { host?, port }, packages: [...], namespaces: [name | { name, retention, description }],
 *    log: { level } }`. Unknown keys are errors (they are usually typos).
 */
export function parseConfig(doc: unknown, source = 'config'): ServerConfig {
  const root = object(doc ?? {}, source);
  allowKeys(root, source, ['database', 'shards', 'grpc', 'metrics', 'packages', 'namespaces', 'log']);
  const grpc = object(root['grpc'] ?? {}, `${source}: grpc`);
  allowKeys(grpc, `${source}: grpc`, ['host', 'port']);
  const metrics = root['metrics'] === undefined || root['metrics'] === null ? undefined : object(root['metrics'], `${source}: metrics`);
  if (metrics) allowKeys(metrics, `${source}: metrics`, ['host', 'port']);
  const log = object(root['log'] ?? {}, `${source}: log`);
  allowKeys(log, `${source}: log`, ['level']);
  const host = str(grpc['host'] ?? '127.0.0.1', `${source}: grpc.host`);
  return {
    database: database(root['database'], source),
    shards: int(root['shards'] ?? DEFAULT_SHARDS, `${source}: shards`, 1, 16_384),
    grpc: { host, port: port(grpc['port'] ?? DEFAULT_GRPC_PORT, `${source}: grpc.port`) },
    ...(metrics ? { metrics: { host: str(metrics['host'] ?? host, `${source}: metrics.host`), port: port(metrics['port'], `${source}: metrics.port`) } } : {}),
    packages: list(root['packages'] ?? [], `${source}: packages`).map((p, i) => str(p, `${source}: packages[${i}]`)),
    namespaces: list(root['namespaces'] ?? [], `${source}: namespaces`).map((n, i) => namespaceSeed(n, `${source}: namespaces[${i}]`)),
    log: { level: logLevel(log['level'] ?? 'info', `${source}: log.level`) },
  };
}

function database(value: unknown, source: string): DatabaseConfig {
  const where = `${source}: database`;
  if (value === undefined || value === null) throw new ConfigError(`${where} is required ({ kind: postgres, url } or { kind: pglite, dataDir })`);
  const db = object(value, where);
  switch (db['kind']) {
    case 'postgres': {
      allowKeys(db, where, ['kind', 'url', 'poolSize']);
      const url = str(db['url'], `${where}.url`);
      if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(`${where}.url must be a postgres:// URL`);
      return db['poolSize'] === undefined
        ? { kind: 'postgres', url }
        : { kind: 'postgres', url, poolSize: int(db['poolSize'], `${where}.poolSize`, 1, 1000) };
    }
    case 'pglite':
      allowKeys(db, where, ['kind', 'dataDir']);
      return db['dataDir'] === undefined ? { kind: 'pglite' } : { kind: 'pglite', dataDir: str(db['dataDir'], `${where}.dataDir`) };
    default:
      throw new ConfigError(`${where}.kind must be 'postgres' or 'pglite' (got ${JSON.stringify(db['kind'])})`);
  }
}

function namespaceSeed(value: unknown, where: string): NamespaceSeed {
  const spec = typeof value === 'string' ? { name: value } : object(value, where);
  allowKeys(spec, where, ['name', 'description', 'retention']);
  const name = wrap(() => validateNamespaceName(spec['name'], 'name'), where);
  const seed: { name: string; description?: string; retentionSeconds?: number } = { name };
  if (spec['description'] !== undefined) seed.description = str(spec['description'], `${where}.description`);
  if (spec['retention'] !== undefined) {
    const seconds = parseDurationSeconds(spec['retention']);
    if (seconds === undefined) throw new ConfigError(`${where}.retention must be a duration like '24h' or '7d'`);
    seed.retentionSeconds = seconds;
  }
  return seed;
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}

function allowKeys(obj: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new ConfigError(`${where}: unknown key '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(`${where} must be a list`);
  return value;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${where} must be a non-empty string`);
  return value;
}

function int(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${where} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function port(value: unknown, where: string): number {
  return int(value, where, 0, 65_535);
}

function logLevel(value: unknown, where: string): LogLevel {
  if (typeof value !== 'string' || !(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`${where} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

function wrap<T>(fn: () => T, where: string): T {
  try {
    return fn();
  } catch (e) {
    throw new ConfigError(`${where}: ${(e as Error).message}`);
  }
}
