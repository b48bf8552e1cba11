/**
 * @module @chasm/core/testing
 * The testing kit: an in-memory store and a manual clock behind the real interfaces, an engine
 * factory, and the reference component library.
 */
export * from './manual-clock.js';
export * from './memory-store.js';
export * from './test-engine.js';
export * from './reference/index.js';
export * from './test-databases.js';
export * from './server-process.js';
export * from './process-cpu.js';
export * from './bench-kit.js';
export * from './cost-meter.js';
export * from './eventually.js';
