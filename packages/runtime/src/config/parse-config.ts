import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { configFileSchema } from './config-schema.js';
import type { ServerConfig } from './server-config.js';

/** A configuration file that cannot be used; the message names the offending key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates a YAML (or JSON) config file. */
export async function loadConfigFile(path: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  // Loaded here, not at import: `dev` reads no file and should not pay for a YAML parser (ADR 0047).
  const { parse: parseYaml } = await import('yaml');
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
 *    metrics: { host?, port }, packages: [...], settings: { <package>: {...} },
 *    namespaces: [name | { name, retention, description }], log: { level } }`.
 */
export function parseConfig(doc: unknown, source = 'config'): ServerConfig {
  const result = configFileSchema.safeParse(doc ?? {});
  if (!result.success) throw new ConfigError(`${source}: ${formatIssues(result.error.issues)}`);
  return result.data;
}

/** One line per problem, each naming its key path (`grpc.port`, `namespaces[0].retention`). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `${pathOf(i.path)}unknown key ${i.keys.map((k) => `'${k}'`).join(', ')}`;
      return `${pathOf(i.path)}${i.message}`;
    })
    .join('; ');
}

function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return `${out}: `;
}
