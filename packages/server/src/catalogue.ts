import type { PluginCatalogue } from '@chasm/runtime';

/**
 * The plugins this server ships, by the short names a config's `packages:` uses. Loaded lazily,
 * so a plugin the config does not name is never imported. A plugin outside this list loads by
 * package name or path instead (docs/plugins.md); adding one here is only a convenience.
 */
export const BUILTIN_PLUGINS: PluginCatalogue = {
  matching: () => import('@chasm/matching').then((m) => m.matchingPlugin),
  'standalone-activity': () => import('@chasm/standalone-activity').then((m) => m.standaloneActivityPlugin),
  workflow: () => import('@chasm/workflow').then((m) => m.workflowPlugin),
  'workflow-update': () => import('@chasm/workflow-update').then((m) => m.workflowUpdatePlugin),
  scheduler: () => import('@chasm/scheduler').then((m) => m.schedulerPlugin),
  nexus: () => import('@chasm/nexus').then((m) => m.nexusPlugin),
  batch: () => import('@chasm/batch').then((m) => m.batchPlugin),
  tests: () => import('@chasm/runtime/testing').then((m) => m.referencePlugin),
};

/** What the dev server (`npm start`) loads: every built-in feature. */
export const DEV_PACKAGES: readonly string[] = ['matching', 'standalone-activity', 'workflow', 'workflow-update', 'scheduler', 'nexus', 'batch'];
