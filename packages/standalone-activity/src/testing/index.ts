/**
 * @module @chasm/standalone-activity/testing
 * Helpers for tests of the standalone activity package.
 */
export { DEFAULT_STANDALONE_ACTIVITY_CONFIG } from '../config.js';

// The one polling wait of the test suites (visibility is eventually consistent).
export { eventually } from '@chasm/core/testing';
export { freePort, spawnServer, type ChildDatabase, type ServerProcess, type ServerProcessOptions } from './server-process.js';
