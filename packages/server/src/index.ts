/**
 * @module @chasm/server
 * The server app: @chasm/runtime with the catalogue of built-in plugins (matching,
 * standalone-activity, workflow, workflow-update, scheduler, nexus, batch) and the CLI that `npm start` runs.
 */
export { BUILTIN_PLUGINS, DEV_PACKAGES } from './catalogue.js';
export { uiAssetsDir } from './ui-assets-dir.js';
