import { createRequire } from 'node:module';

/**
 * The running @chasm/core version, read from its package.json (the same relative path from
 * `src/plugin` and `dist/plugin`), so a release bump cannot leave a stale constant behind.
 * Plugins' `coreApi` ranges are checked against it.
 */
export const CHASM_CORE_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
