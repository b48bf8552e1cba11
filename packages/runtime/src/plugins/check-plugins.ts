import type { ContainerModule } from 'inversify';
// One function, not the package's index: the index loads all of semver (~47 modules) at boot.
import satisfies from 'semver/functions/satisfies.js';
import { CHASM_CORE_VERSION, type AnyChasmPlugin } from '@chasm/core';
import type { ServedMethod } from '../grpc/service-definition.js';
import { PluginSetError } from './plugin-errors.js';

export interface CheckedPlugins {
  /** Each plugin's module, built with its validated settings, in load order. */
  readonly modules: readonly ContainerModule[];
  /** `service/method` → name of the plugin that declared it. */
  readonly declared: ReadonlyMap<string, string>;
  /** `METHOD /path` → name of the plugin that declared the HTTP route. */
  readonly declaredRoutes: ReadonlyMap<string, string>;
}

/**
 * Checks a chosen set of plugins before anything is opened, and builds their modules:
 * unique names, every `requires` present, the running @chasm/core inside each plugin's
 * `coreApi` range, declared RPCs known to the protos and declared by one plugin only, and each
 * plugin's settings valid by its schema (no settings for a plugin that is not loaded). The
 * first problem found is thrown as one line.
 */
export function checkPlugins(
  plugins: readonly AnyChasmPlugin[],
  settings: Readonly<Record<string, unknown>>,
  protoMethods: readonly ServedMethod[],
  coreVersion: string = CHASM_CORE_VERSION,
): CheckedPlugins {
  const byName = new Map<string, AnyChasmPlugin>();
  for (const p of plugins) {
    if (byName.has(p.name)) throw new PluginSetError(`two packages are named '${p.name}'`);
    byName.set(p.name, p);
  }
  for (const p of plugins) {
    if (!satisfies(coreVersion, p.coreApi, { includePrerelease: true })) {
      throw new PluginSetError(`${p.name} ${p.version} supports @chasm/core ${p.coreApi}, but this server runs @chasm/core ${coreVersion}`);
    }
    const missing = p.requires.filter((r) => !byName.has(r));
    if (missing.length > 0) throw new PluginSetError(`${p.name} needs ${missing.join(' and ')}`);
  }
  const known = new Set(protoMethods.map((m) => `${m.service}/${m.method}`));
  const declared = new Map<string, string>();
  for (const p of plugins) {
    for (const d of p.serves) {
      for (const method of d.methods) {
        const k = `${d.service}/${method}`;
        if (!known.has(k)) throw new PluginSetError(`${p.name} declares ${method}, which ${d.service} does not define`);
        const other = declared.get(k);
        if (other !== undefined) throw new PluginSetError(`${method} is served by both ${other} and ${p.name}; choose one`);
        declared.set(k, p.name);
      }
    }
  }
  const declaredRoutes = new Map<string, string>();
  for (const p of plugins) {
    for (const route of p.routes) {
      if (!/^(GET|POST|PUT|PATCH|DELETE) \/\S*$/.test(route)) throw new PluginSetError(`${p.name} declares route '${route}'; write it as 'PUT /path/:param'`);
      const other = declaredRoutes.get(route);
      if (other !== undefined) throw new PluginSetError(`HTTP route ${route} is served by both ${other} and ${p.name}; choose one`);
      declaredRoutes.set(route, p.name);
    }
  }
  for (const name of Object.keys(settings)) {
    if (!byName.has(name)) throw new PluginSetError(`settings.${name}: no package named '${name}' is loaded`);
  }
  const modules = plugins.map((p) => p.module(validateSettings(p, settings[p.name])));
  return { modules, declared, declaredRoutes };
}

function validateSettings(plugin: AnyChasmPlugin, value: unknown): unknown {
  if (!plugin.config) {
    if (value !== undefined) throw new PluginSetError(`settings.${plugin.name}: ${plugin.name} takes no settings`);
    return undefined;
  }
  const result = plugin.config['~standard'].validate(value ?? {});
  if (result instanceof Promise) throw new PluginSetError(`settings.${plugin.name}: the config schema of ${plugin.name} must validate synchronously`);
  if (result.issues) {
    const issues = result.issues.map((i) => {
      const path = (i.path ?? []).map((s) => String(typeof s === 'object' ? s.key : s)).join('.');
      return `settings.${plugin.name}${path ? `.${path}` : ''}: ${i.message}`;
    });
    throw new PluginSetError(issues.join('; '));
  }
  return result.value;
}
