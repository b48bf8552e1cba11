import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isChasmPlugin, type AnyChasmPlugin } from '@chasm/core';
import { PluginSetError } from './plugin-errors.js';

/** Loads a plugin lazily, so plugins a config does not name are never imported. */
export type PluginLoader = () => Promise<AnyChasmPlugin>;

/** Plugins known by a short name (the server app's built-ins). */
export type PluginCatalogue = Readonly<Record<string, PluginLoader>>;

/**
 * Resolves a config's `packages:` entries to plugins, in config order, each once. An entry is a
 * catalogue name, else a module specifier: an npm package name (resolved from `resolveFrom`,
 * by default the working directory) or a file path. The module's default export, or its
 * `plugin` export, must be a plugin made by `definePlugin`.
 */
export async function loadPlugins(
  names: readonly string[],
  catalogue: PluginCatalogue,
  resolveFrom: string = process.cwd(),
): Promise<AnyChasmPlugin[]> {
  const pending: Promise<AnyChasmPlugin>[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (name === 'core' || seen.has(name)) continue;
    seen.add(name);
    const loader = catalogue[name];
    pending.push(loader ? loader() : importPlugin(name, resolveFrom, Object.keys(catalogue)));
  }
  // All imports at once, not one after another: the module loader reads files off the main
  // thread, so one plugin's files are read while another's compile (ADR 0054). Every import is
  // settled before any error is thrown (no unhandled rejection), and the error is the first in
  // config order, as when they loaded in turn.
  const settled = await Promise.allSettled(pending);
  return settled.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
}

async function importPlugin(specifier: string, resolveFrom: string, known: readonly string[]): Promise<AnyChasmPlugin> {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:');
  let loaded: Record<string, unknown>;
  try {
    const target = specifier.startsWith('file:') ? specifier : isPath ? pathToFileURL(resolve(resolveFrom, specifier)).href : resolvePackage(specifier, resolveFrom);
    loaded = (await import(target)) as Record<string, unknown>;
  } catch (e) {
    const hint = known.length > 0 ? `; built-in packages: ${[...known].sort().join(', ')}` : '';
    throw new PluginSetError(`unknown package '${specifier}' (${firstLine((e as Error).message)})${hint}`);
  }
  const candidate = isChasmPlugin(loaded['default']) ? loaded['default'] : loaded['plugin'];
  if (!isChasmPlugin(candidate)) {
    throw new PluginSetError(`package '${specifier}' must export a plugin made by definePlugin() as default or 'plugin'`);
  }
  return candidate;
}

/** Resolves an npm package name as if imported from a file in `fromDir`. */
function resolvePackage(name: string, fromDir: string): string {
  return import.meta.resolve(name, pathToFileURL(`${resolve(fromDir)}/`).href);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
